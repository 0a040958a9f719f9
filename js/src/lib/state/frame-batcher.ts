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
 * How many flushes a frame may hold while a stream is sparse (its events then go early),
 * and the most items a frame's flush may apply for the stream to count as sparse.
 */
export const FEW_PER_FRAME = 2;

/**
 * At the end of the current task, else `frame` (the next animation frame). Early unless
 * `FEW_PER_FRAME` flushes ran since the last frame began (a frame's own flush counts),
 * or the stream is dense: the last flush was a frame's of more than `FEW_PER_FRAME`
 * items, less than a frame ago. A new scheduler per batcher: it keeps that batcher's
 * count.
 *
 * Applied in an animation frame, an event's update (the stores, Svelte's effects, a
 * chart's draw: ~1-2 ms in JupyterLab) runs between the display's tick and the paint:
 * that point is shown that much later, and so is every other change the frame carries.
 * Applied in its own task, the update is done before the tick. At 100 events/s (1.7 a
 * frame) the second event of a frame, left to the next one, put its draw in front of
 * the paint of the event that came just after the frame began, the slowest of all
 * (measured in JupyterLab: the frames' p99 8.0 ms against ipywidgets' 4.5, half of it
 * that draw). The rule is per frame, not per time since the last flush: a stream of a
 * few a frame costs at most `FEW_PER_FRAME` flushes a frame, a dense one one flush a
 * frame (its frames' flushes hold many).
 */
export function soonWhenSparse(
	frame: FrameScheduler = nextFrame,
	now: () => number = () => performance.now(),
): FrameScheduler {
	let last = Number.NEGATIVE_INFINITY;
	let dense = false; // the last flush was a frame's, of more than FEW_PER_FRAME
	let flushes = 0; // since the last frame began
	let marked = false; // `frameBegan` is asked of the next frame
	const frameBegan = (): number => {
		flushes = 0;
		marked = false;
		return 0;
	};
	return (flush) => {
		const run = (inFrame: boolean): number => {
			last = now();
			const applied = flush();
			dense = inFrame && applied > FEW_PER_FRAME;
			flushes += 1;
			if (!marked) {
				marked = true;
				frame(frameBegan);
			}
			return applied;
		};
		if (flushes >= FEW_PER_FRAME || (dense && now() - last < FRAME_MS)) {
			return frame(() => run(true));
		}
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
