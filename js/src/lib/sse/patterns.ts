/** True when subscription `pattern` (a name, or a prefix ending in `*`) covers `channel`. */
export function patternMatches(pattern: string, channel: string): boolean {
  return pattern.endsWith("*") ? channel.startsWith(pattern.slice(0, -1)) : pattern === channel;
}

export function isPattern(subscription: string): boolean {
  return subscription.endsWith("*");
}
