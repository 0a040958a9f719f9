/**
 * Coalesces a burst of events into one state update per animation frame.
 *
 * A busy training loop can publish thousands of events a second; applying each one
 * as it arrives would re-render the widget thousands of times and freeze the page.
 * An event of a sparse stream is applied in the task that brought it instead
 * (`soonWhenSparse`): the next frame then only paints it.
 */

/**
 * Runs `flush` once, soon; returns a function that cancels it. `flush` returns how many
 * items it applied.
 */
export type FrameScheduler = (flush: () => number) => () => void;

/** Fallback period when animation frames do not run. */
const HIDDEN_TAB_MS = 250;

/**
 * Next animation frame, or a timeout when the tab is hidden: browsers pause
 * `requestAnimationFrame` there, and the buffer would grow for as long as the tab
 * stays in the background. Whichever fires first runs `flush`.
 */
export const nextFrame: FrameScheduler = (flush) => {
	let pending = true;
	const run = (): void => {
		if (!pending) return;
		cancel();
		flush();
	};
	const frame = requestAnimationFrame(run);
	const timer = setTimeout(run, HIDDEN_TAB_MS);
	const cancel = (): void => {
		pending = false;
		cancelAnimationFrame(frame);
		clearTimeout(timer);
	};
	return cancel;
};

/** One frame of a 60 Hz display, the commonest rate: the spacing of a "sparse" stream. */
export const FRAME_MS = 1000 / 60;

/**
 * The most items a frame's flush may apply for the stream to count as a few a frame,
 * whose events still go early (one a frame).
 */
export const FEW_PER_FRAME = 2;

/**
 * At the end of the current task, else `frame` (the next animation frame). Early unless
 * a flush already ran early since the last frame began, or the stream is dense: the
 * last flush was a frame's of more than `FEW_PER_FRAME` items, less than a frame ago. A
 * new scheduler per batcher: it keeps that batcher's last flush.
 *
 * Applied in an animation frame, an event's update (the stores, Svelte's effects, a
 * chart's draw: ~1-2 ms in JupyterLab) ran between the display's tick and the paint,
 * and each point was shown that much later than a widget that writes the DOM as its
 * message comes (ipywidgets). Applied in its own task, the update is done before the
 * tick. The rule is per frame, not per time since the last flush: at 100 events/s (1.7
 * a frame) an event that came just after a frame began, less than a frame after an
 * early one, otherwise waited the whole frame and then the draw, the slowest of all. A
 * dense stream still costs one flush a frame (its frames' flushes hold many), and a
 * stream of a few a frame at most two: one early, one in the frame.
 */
export function soonWhenSparse(
	frame: FrameScheduler = nextFrame,
	now: () => number = () => performance.now(),
): FrameScheduler {
	let last = Number.NEGATIVE_INFINITY;
	let dense = false; // the last flush was a frame's, of more than FEW_PER_FRAME
	let earlyInFrame = false; // a flush ran early since the last frame began
	const frameBegan = (): number => {
		earlyInFrame = false;
		return 0;
	};
	return (flush) => {
		const run = (inFrame: boolean): number => {
			last = now();
			const applied = flush();
			dense = inFrame && applied > FEW_PER_FRAME;
			if (!inFrame && !earlyInFrame) {
				earlyInFrame = true;
				frame(frameBegan);
			}
			return applied;
		};
		if (earlyInFrame || (dense && now() - last < FRAME_MS)) return frame(() => run(true));
		// A microtask, not a call: the events that came in the same task join the batch.
		let pending = true;
		queueMicrotask(() => {
			if (pending) run(false);
		});
		return () => {
			pending = false;
		};
	};
}

/** Buffers items and hands them to `apply` in one batch per scheduled frame. */
export class FrameBatcher<T> {
	#items: T[] = [];
	#cancel: (() => void) | null = null;
	readonly #apply: (batch: T[]) => void;
	readonly #schedule: FrameScheduler;

	constructor(apply: (batch: T[]) => void, schedule: FrameScheduler = soonWhenSparse()) {
		this.#apply = apply;
		this.#schedule = schedule;
	}

	push(item: T): void {
		this.#items.push(item);
		this.#cancel ??= this.#schedule(() => this.flush());
	}

	/** Applies what is buffered now (also called by the scheduler); returns how many. */
	flush(): number {
		this.#cancel?.();
		this.#cancel = null;
		const batch = this.#items;
		if (batch.length === 0) return 0;
		this.#items = [];
		this.#apply(batch);
		return batch.length;
	}

	/** Drops what is buffered; nothing is applied after this. */
	clear(): void {
		this.#cancel?.();
		this.#cancel = null;
		this.#items = [];
	}
}
