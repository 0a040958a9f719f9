/**
 * Chart draws, run together once the task that asked for them is done with the DOM.
 *
 * A chart's data changes when the frame batcher applies a batch of events: inside an
 * animation frame's callback, or at the end of the task of one of the first two
 * events since a frame began (`soonWhenSparse`); Svelte then writes the DOM in a
 * microtask. Drawing in a later animation frame cost a frame (~17 ms) between an event
 * and its point. Drawing in the middle of Svelte's DOM writes made each axis label's
 * `fillText` recalculate the page's style first. Queued here, every chart of the task
 * draws in one microtask after Svelte's: in the same task, with the style worked out
 * once.
 */

const queued = new Set<() => void>();

function drawAll(): void {
	// A draw asked for while these run (a chart that another one's draw resized) runs
	// here too; a draw cancelled meanwhile does not.
	for (const draw of queued) {
		queued.delete(draw);
		draw();
	}
}

/** Runs `draw` after the current task's DOM updates; the returned function cancels it. */
export function drawSoon(draw: () => void): () => void {
	if (queued.size === 0) queueMicrotask(drawAll);
	queued.add(draw);
	return () => {
		queued.delete(draw);
	};
}
