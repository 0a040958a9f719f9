// What a chart draws of a long history: at most a few points per pixel column, chosen so
// that every peak and trough still shows. The full columns are never copied or changed;
// the chart reads the points at the indices chosen here.
//
// Min/max per pixel column rather than LTTB: LTTB keeps one point per bucket, picked by
// triangle area, so a one-point spike next to a larger one can vanish; the minimum and
// maximum of each column are exactly what a line drawn at that width would cover.

/** One column of values, aligned with `x`; `null` or `undefined` is a gap. */
export type Values = ArrayLike<number | null | undefined>;

/** First index whose x is at least `value` (x ascending); `x.length` when none is. */
export function lowerBound(x: ArrayLike<number>, value: number): number {
	let lo = 0;
	let hi = x.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if ((x[mid] ?? 0) < value) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/** Last index whose x is at most `value` (x ascending); -1 when none is. */
export function upperBound(x: ArrayLike<number>, value: number): number {
	let lo = 0;
	let hi = x.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if ((x[mid] ?? 0) <= value) lo = mid + 1;
		else hi = mid;
	}
	return lo - 1;
}

/**
 * The index range `[start, end)` that draws the x interval `[min, max]`: the points in
 * it plus one on each side, so the line runs on to the plot's edges when zoomed in.
 */
export function visibleRange(
	x: ArrayLike<number>,
	min: number | null,
	max: number | null,
): [number, number] {
	const n = x.length;
	if (n === 0) return [0, 0];
	const start = min == null ? 0 : Math.max(0, lowerBound(x, min) - 1);
	const end = max == null ? n : Math.min(n, upperBound(x, max) + 2);
	return [start, Math.max(start, end)];
}

/**
 * Indices of the points to draw between `start` and `end` (exclusive) so that each of
 * `buckets` equal slices of the x span keeps its first and last point and, for every
 * column, the point of its minimum and of its maximum. Ascending, without repeats, and
 * at most `buckets * (2 + 2 * columns.length)` long, whatever the number of points.
 * When the range holds no more points than that, every index is returned.
 */
export function downsample(
	x: ArrayLike<number>,
	columns: readonly Values[],
	start: number,
	end: number,
	buckets: number,
): Int32Array {
	const count = Math.max(0, end - start);
	const perBucket = 2 + 2 * columns.length;
	const slots = Math.max(1, Math.floor(buckets));
	if (count <= slots * perBucket) {
		const all = new Int32Array(count);
		for (let i = 0; i < count; i++) all[i] = start + i;
		return all;
	}
	const x0 = x[start] ?? 0;
	const span = (x[end - 1] ?? 0) - x0;
	const out = new Int32Array(slots * perBucket);
	const picked = new Int32Array(perBucket);
	let length = 0;
	let i = start;
	// One pass over the range: each slice's points are consecutive because x ascends.
	for (let b = 0; b < slots && i < end; b++) {
		const limit = b === slots - 1 || span <= 0 ? Infinity : x0 + (span * (b + 1)) / slots;
		const first = i;
		let last = i;
		let n = 0;
		picked[n++] = first;
		for (const column of columns) {
			let minAt = -1;
			let maxAt = -1;
			let lo = Infinity;
			let hi = -Infinity;
			let j = first;
			for (; j < end && ((x[j] ?? 0) < limit || j === first); j++) {
				const v = column[j];
				if (v == null) continue;
				if (v < lo) {
					lo = v;
					minAt = j;
				}
				if (v > hi) {
					hi = v;
					maxAt = j;
				}
			}
			last = j - 1;
			if (minAt >= 0) picked[n++] = minAt;
			if (maxAt >= 0) picked[n++] = maxAt;
		}
		if (columns.length === 0) {
			let j = first + 1;
			while (j < end && (x[j] ?? 0) < limit) j++;
			last = j - 1;
		}
		picked[n++] = last;
		const slice = picked.subarray(0, n).sort();
		for (let k = 0; k < n; k++) {
			const index = slice[k] ?? 0;
			if (length === 0 || out[length - 1] !== index) out[length++] = index;
		}
		i = last + 1;
	}
	return out.slice(0, length);
}

/** `values` at `indices`, as a column uPlot draws (`null` for a gap). */
export function gather(values: Values, indices: ArrayLike<number>): (number | null)[] {
	const out = new Array<number | null>(indices.length);
	for (let k = 0; k < indices.length; k++) out[k] = values[indices[k] ?? 0] ?? null;
	return out;
}
