// Exponential moving average of a column, as analysts know it from TensorBoard: a weight
// in [0, 1) (0 is the raw line), debiased so that the first points are not pulled
// towards zero. Gaps stay gaps and do not reset the average.
import type { Values } from "./downsample.js";

/** The highest weight the chart offers: at 0.99 a point still moves the line by 1%. */
export const MAX_SMOOTHING = 0.99;

/** Clamps a weight to what `ema` accepts (non-numbers become 0). */
export function clampSmoothing(weight: number): number {
	if (!Number.isFinite(weight) || weight <= 0) return 0;
	return Math.min(weight, MAX_SMOOTHING);
}

/** The smoothed column of `values` (a new array), every value the debiased EMA so far. */
export function ema(values: Values, weight: number): (number | null)[] {
	const out = new Array<number | null>(values.length);
	const state = { last: 0, count: 0 };
	extend(out, values, 0, weight, state);
	return out;
}

interface EmaState {
	last: number;
	count: number;
}

function extend(
	out: (number | null)[],
	values: Values,
	from: number,
	weight: number,
	state: EmaState,
): void {
	const w = clampSmoothing(weight);
	for (let i = from; i < values.length; i++) {
		const v = values[i];
		if (v == null || !Number.isFinite(v)) {
			out[i] = v == null ? null : v;
			continue;
		}
		state.last = state.last * w + (1 - w) * v;
		state.count += 1;
		out[i] = w === 0 ? v : state.last / (1 - Math.pow(w, state.count));
	}
}

/**
 * Keeps the smoothed column of a column that grows in place, adding only the new points
 * on each call. A column that shrank or whose first or last kept point changed (points
 * dropped at the front, a snapshot merged) is smoothed again from the start.
 */
export class Smoother {
	#weight = -1;
	#source: Values | null = null;
	#out: (number | null)[] = [];
	#state: EmaState = { last: 0, count: 0 };
	#firstX = NaN;
	#lastX = NaN;

	/** The smoothed column of `values` (aligned with `x`) at `weight`. */
	update(x: ArrayLike<number>, values: Values, weight: number): readonly (number | null)[] {
		const n = values.length;
		const kept = this.#out.length;
		const reusable =
			weight === this.#weight &&
			values === this.#source &&
			n >= kept &&
			(kept === 0 || (x[0] === this.#firstX && x[kept - 1] === this.#lastX));
		if (!reusable) {
			this.#weight = weight;
			this.#source = values;
			this.#out = [];
			this.#state = { last: 0, count: 0 };
		}
		extend(this.#out, values, this.#out.length, weight, this.#state);
		this.#firstX = x[0] ?? NaN;
		this.#lastX = x[n - 1] ?? NaN;
		return this.#out;
	}
}
