import { untrack } from "svelte";

/** Refresh period of live text (counts, rates, badges, legends): about 15 per second. */
export const TEXT_REFRESH_MS = 66;

/**
 * `get()` as it was at most about `intervalMs` ago, always ending on the latest value.
 *
 * For views a person reads rather than watches: a table or a log redrawn sixty
 * times a second is no easier to read than one redrawn ten times, and costs six
 * times the DOM work. Call during component initialisation (it owns an effect).
 */
export function throttled<T>(get: () => T, intervalMs: number): { readonly current: T } {
	let current = $state.raw(untrack(get));
	let last = Number.NEGATIVE_INFINITY;

	$effect(() => {
		const value = get();
		if (value === untrack(() => current)) return;
		const wait = last + intervalMs * (0.75 + Math.random() / 2) - performance.now();
		if (wait <= 0) {
			last = performance.now();
			current = value;
			return;
		}
		// A newer value cancels this one: the timer always applies the latest.
		const timer = setTimeout(() => {
			last = performance.now();
			current = value;
		}, wait);
		return () => clearTimeout(timer);
	});

	return {
		get current() {
			return current;
		},
	};
}
