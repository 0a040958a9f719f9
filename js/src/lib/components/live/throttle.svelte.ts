import { untrack } from "svelte";
import { afterFrame } from "./after-frame.js";

/** Refresh period of live text (counts, rates, badges, legends): about 15 per second. */
export const TEXT_REFRESH_MS = 66;

/**
 * Changes closer together than this are "frequent": a CSS transition of 150–200 ms
 * started by one would still be running when the next arrives.
 */
export const FREQUENT_MS = 250;

export interface Throttled<T> {
	readonly current: T;
	/**
	 * The last two values were applied less than `FREQUENT_MS` apart. Views drop their
	 * CSS transitions then: a transition that never settles animates on every frame
	 * (colours on the main thread) and makes the shown value lag behind the real one.
	 */
	readonly frequent: boolean;
}

export interface ThrottleOptions {
	/**
	 * A change after a quiet interval is applied at once (`"now"`, the default), or just
	 * after the next frame (`"frame"`, `afterFrame`): for text beside a chart, whose
	 * draw follows the change in the same task. Written with the point, the text made the
	 * point's frame work out the page's style and layout first: in JupyterLab the draw's
	 * first `fillText` waited ~1 ms for it (measured), and the point's frame came ~3 ms
	 * later at p50. Just after the frame that shows the point, the text follows it unseen.
	 */
	leading?: "now" | "frame";
}

/**
 * `get()` as it was at most about `intervalMs` ago, always ending on the latest value.
 *
 * For views a person reads rather than watches: a table or a log redrawn sixty
 * times a second is no easier to read than one redrawn ten times, and costs six
 * times the DOM work. Call during component initialisation (it owns an effect).
 */
export function throttled<T>(
	get: () => T,
	intervalMs: number,
	{ leading = "now" }: ThrottleOptions = {},
): Throttled<T> {
	const initial = untrack(get);
	let current = $state.raw(initial);
	let frequent = $state(false);
	let last = Number.NEGATIVE_INFINITY;
	let latest = initial;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let cancelApply: (() => void) | null = null;

	const apply = (): void => {
		timer = undefined;
		cancelApply = null;
		const now = performance.now();
		// Written, never read here: this may run inside the effect below, which must not
		// come to depend on `frequent`.
		frequent = now - last < FREQUENT_MS;
		last = now;
		current = latest;
	};

	$effect(() => {
		latest = get();
		// One timer per window, whatever arrives meanwhile: it applies the latest value.
		if (timer !== undefined || cancelApply || latest === untrack(() => current)) return;
		const wait = last + intervalMs * (0.75 + Math.random() / 2) - performance.now();
		if (wait <= 0) {
			if (leading === "now") apply();
			// The next frame shows the change (made in an animation frame's callback or in
			// the task of its event); the text goes just after it.
			else cancelApply = afterFrame(apply);
			return;
		}
		// Applied just after a frame rather than in the timer's task: a DOM change left
		// between two frames would be worked out by the next chart draw's first
		// `fillText`, or by the next frame before its paint.
		timer = setTimeout(() => {
			cancelApply = afterFrame(apply);
		}, wait);
	});

	$effect(() => () => {
		clearTimeout(timer);
		cancelApply?.();
	});

	return {
		get current() {
			return current;
		},
		get frequent() {
			return frequent;
		},
	};
}
