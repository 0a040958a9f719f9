/**
 * Reconnect delays: exponential, capped, with jitter.
 *
 * Jitter matters when a server restarts: every open page loses its stream at the same
 * instant, and without it they would all come back in the same millisecond, again and
 * again. "Equal jitter" keeps at least half of the exponential delay, so a client never
 * retries in a tight loop, and spreads the other half at random.
 */
export interface BackoffOptions {
	/** Delay of the first retry before jitter, in ms. */
	baseMs: number;
	/** Upper bound of any delay, in ms. */
	capMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { baseMs: 1000, capMs: 30_000 };

/**
 * Delay in ms before retry number `attempt` (0 for the first), in `[d / 2, d]` where
 * `d = min(cap, base * 2^attempt)`. `random` returns a number in `[0, 1)`.
 */
export function backoffDelay(
	attempt: number,
	{ baseMs, capMs }: BackoffOptions = DEFAULT_BACKOFF,
	random: () => number = Math.random,
): number {
	// 2 ** attempt overflows to Infinity long before it matters; min() keeps it finite.
	const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
	return ceiling / 2 + random() * (ceiling / 2);
}
