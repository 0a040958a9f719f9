// The synthetic training curves every scenario plots. A plain module: the event
// producer's worker imports it, and a `.svelte.ts` module would pull Svelte in there.

export function lossAt(step: number): number {
	return 2 * Math.exp(-step / 30000) + 0.05 * Math.sin(step / 50) + 0.02 * Math.sin(step * 7.1);
}

export function accAt(step: number): number {
	return 1 - 0.9 * Math.exp(-step / 20000) + 0.01 * Math.cos(step / 40);
}
