/**
 * Channel names and subscription patterns: which names are valid, what a pattern
 * covers, and what a viewer's scope allows.
 *
 * This mirrors the server's rule in `jupyter_sse/wire/names.py` (`CHANNEL_RE`,
 * `check_pattern`, `pattern_matches`, `scope_covers`), so that the dashboard refuses a
 * bad name or an out-of-scope pattern before the server would refuse the whole stream.
 * `tests/wire/name_cases.json` pins both sides to the same cases: `patterns.test.ts`
 * here and a pytest there read it. Change the two together.
 */

const CHANNEL = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** True when `name` is a valid channel name (not a pattern). */
export function isChannel(name: string): boolean {
	return CHANNEL.test(name);
}

/** True for a subscription that covers several channels: a prefix and one final `*`. */
export function isPattern(subscription: string): boolean {
	return subscription.endsWith("*");
}

/** A name the server accepts in `sse/stream?channel=`: a channel, or a prefix and one final `*`. */
export function isValidSubscription(subscription: string): boolean {
	if (isPattern(subscription)) {
		const prefix = subscription.slice(0, -1);
		return prefix === "" || isChannel(prefix);
	}
	return isChannel(subscription);
}

/** True when subscription `pattern` (a name, or a prefix ending in `*`) covers `channel`. */
export function patternMatches(pattern: string, channel: string): boolean {
	return isPattern(pattern) ? channel.startsWith(pattern.slice(0, -1)) : pattern === channel;
}

/**
 * True when a viewer with `scope` may subscribe to `subscription`: a pattern is allowed
 * only if everything it can match is in scope. `null` is a Jupyter user, who may read
 * everything (the server has no scope to check then).
 */
export function scopeCovers(scope: readonly string[] | null, subscription: string): boolean {
	if (scope === null) return true;
	return scope.some((allowed) =>
		isPattern(allowed) ? subscription.startsWith(allowed.slice(0, -1)) : allowed === subscription,
	);
}
