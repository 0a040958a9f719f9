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
 * The most items a frame's flush may have applied for the next item to go early: a
 * stream of up to about this many a frame is drawn as it comes.
 */
export const FEW_PER_FRAME = 2;

/**
 * At the end of the current task when the stream is sparse, else `frame` (the next
 * animation frame). Sparse: the last flush was a frame or more ago, or it was a frame's
 * and applied at most `FEW_PER_FRAME` items. A new scheduler per batcher: it keeps that
 * batcher's last flush.
 *
 * Applied in an animation frame, an event's update (the stores, Svelte's effects, a
 * chart's draw: ~1-2 ms in JupyterLab) ran between the display's tick and the paint,
 * and each point was shown that much later than a widget that writes the DOM as its
 * message comes (ipywidgets). Applied in its own task, the update is done before the
 * tick. The first event after a frame's flush of a few goes early too: at 100 events/s
 * (1.7 a frame) the event that came just after a frame began otherwise waited the whole
 * frame and then the draw, the slowest of all. A dense stream still costs one flush a
 * frame (its frames' flushes hold many), and a stream of a few a frame at most two.
 */
export function soonWhenSparse(
	frame: FrameScheduler = nextFrame,
	now: () => number = () => performance.now(),
): FrameScheduler {
	let last = Number.NEGATIVE_INFINITY;
	// How many the last flush applied, if it was a frame's; else Infinity.
	let framed = Number.POSITIVE_INFINITY;
	return (flush) => {
		const run = (inFrame: boolean): number => {
			last = now();
			const applied = flush();
			framed = inFrame ? applied : Number.POSITIVE_INFINITY;
			return applied;
		};
		if (now() - last < FRAME_MS && framed > FEW_PER_FRAME) return frame(() => run(true));
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
