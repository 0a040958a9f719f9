import { flushSync } from "svelte";

/**
 * Live text a person reads (a chart's count and legend values, progress counts, badges,
 * table and log rows: what `throttled` applies after a wait) is written in the task
 * after the next frame is drawn: every such write of that frame in one batch, and the
 * page's style and layout worked out there, once.
 *
 * Written in an animation frame's callback, the text made that frame work out style and
 * layout before its paint, and every point the frame showed waited for it (measured in
 * JupyterLab at 100 points/s: ~2 ms of the slowest frames, which set the p99 from call to
 * pixel). Written between frames and left for the next one, the next chart draw's first
 * `fillText` worked the style out first (~1 ms in its task). Just after a frame nothing
 * waits for either; the next frame only paints the text.
 */

const queued = new Set<() => void>();

function runAll(): void {
	if (queued.size === 0) return; // all cancelled, or run by an earlier frame's turn
	const running = [...queued];
	queued.clear();
	for (const run of running) run();
	// Svelte writes the DOM now rather than in a microtask, and reading a layout box has
	// the browser bring style and layout up to date for the whole page at once.
	flushSync();
	document.documentElement.getBoundingClientRect();
}

/**
 * Runs `run` in the task after the next animation frame (with the others asked for
 * meanwhile); the returned function cancels it. Like animation frames, it waits while
 * the page is hidden.
 */
export function afterFrame(run: () => void): () => void {
	// A timer set in a frame's callback runs after that frame's paint: the frame is one
	// task.
	if (queued.size === 0) requestAnimationFrame(() => setTimeout(runAll, 0));
	queued.add(run);
	return () => {
		queued.delete(run);
	};
}
