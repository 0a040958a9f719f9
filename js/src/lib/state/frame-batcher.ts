/**
 * Coalesces a burst of events into one state update per animation frame.
 *
 * A busy training loop can publish thousands of events a second; applying each one
 * as it arrives would re-render the widget thousands of times and freeze the page.
 */

/** Runs `flush` once, soon; returns a function that cancels it. */
export type FrameScheduler = (flush: () => void) => () => void;

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

/** Buffers items and hands them to `apply` in one batch per scheduled frame. */
export class FrameBatcher<T> {
	#items: T[] = [];
	#cancel: (() => void) | null = null;
	readonly #apply: (batch: T[]) => void;
	readonly #schedule: FrameScheduler;

	constructor(apply: (batch: T[]) => void, schedule: FrameScheduler = nextFrame) {
		this.#apply = apply;
		this.#schedule = schedule;
	}

	push(item: T): void {
		this.#items.push(item);
		this.#cancel ??= this.#schedule(() => this.flush());
	}

	/** Applies what is buffered now (also called by the scheduler). */
	flush(): void {
		this.#cancel?.();
		this.#cancel = null;
		const batch = this.#items;
		if (batch.length === 0) return;
		this.#items = [];
		this.#apply(batch);
	}

	/** Drops what is buffered; nothing is applied after this. */
	clear(): void {
		this.#cancel?.();
		this.#cancel = null;
		this.#items = [];
	}
}
