// What a chart draws of a long history: at most a few points per pixel column, chosen so
// that every peak and trough still shows. The full columns are never copied or changed;
// the chart reads the points at the indices chosen here.
//
// Min/max per pixel column rather than LTTB: LTTB keeps one point per bucket, picked by
// triangle area, so a one-point spike next to a larger one can vanish; the minimum and
// maximum of each column are exactly what a line drawn at that width would cover.

/** One column of values, aligned with `x`; `null` or `undefined` is a gap. */
export type Values = ArrayLike<number | null | undefined>;

/**
 * First index whose x is at least `value` (x ascending), searched in `[lo, hi)`; `hi`
 * when none is.
 */
export function lowerBound(
	x: ArrayLike<number>,
	value: number,
	lo: number = 0,
	hi: number = x.length,
): number {
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

/** Points per block of a `BlockIndex`: a long range is scanned a block at a time. */
export const BLOCK = 64;

/**
 * The index of the lowest and the highest value of every complete block of `BLOCK`
 * points of one column, kept up to date as the column grows in place: each call adds
 * the blocks completed since the last one. A column that was cut or replaced (its first
 * x, or the x of the last block held, changed) is indexed again from the start.
 */
export class BlockIndex {
	minAt: number[] = [];
	maxAt: number[] = [];
	// The values at those indices (Infinity and -Infinity for a block of gaps): a draw
	// compares these plain doubles instead of reading the column at each index.
	min: number[] = [];
	max: number[] = [];
	#values: Values | null = null;
	#firstX = NaN;
	#lastX = NaN;

	/** Whether the blocks held describe `values` (the column last given to `update`). */
	heldFor(values: Values): boolean {
		return values === this.#values && values.length >= this.min.length * BLOCK;
	}

	update(x: ArrayLike<number>, values: Values): void {
		const blocks = this.minAt.length;
		const held = blocks * BLOCK;
		const valid =
			values === this.#values &&
			values.length >= held &&
			(blocks === 0 || (x[0] === this.#firstX && x[held - 1] === this.#lastX));
		if (!valid) {
			this.minAt = [];
			this.maxAt = [];
			this.min = [];
			this.max = [];
			this.#values = values;
		}
		const complete = Math.floor(values.length / BLOCK);
		for (let k = this.minAt.length; k < complete; k++) {
			const [lo, hi] = extremes(values, k * BLOCK, (k + 1) * BLOCK);
			this.minAt.push(lo);
			this.maxAt.push(hi);
			this.min.push(lo < 0 ? Infinity : (values[lo] ?? Infinity));
			this.max.push(hi < 0 ? -Infinity : (values[hi] ?? -Infinity));
		}
		this.#firstX = x[0] ?? NaN;
		this.#lastX = x[complete * BLOCK - 1] ?? NaN;
	}
}

/** Indices of the lowest and highest non-null value in `[from, to)`; -1 when none. */
function extremes(values: Values, from: number, to: number): [number, number] {
	let minAt = -1;
	let maxAt = -1;
	let lo = Infinity;
	let hi = -Infinity;
	for (let j = from; j < to; j++) {
		const v = values[j];
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
	return [minAt, maxAt];
}

/**
 * What `downsample` returns, in time that grows with the number of blocks rather than
 * points: when a pixel column holds several blocks, its slice is widened or narrowed
 * to whole blocks (so a column may take up to a block of its neighbour's points; every
 * point kept is still drawn at its own x), and each block's extremes come from
 * `indexes` (one per column, updated by the caller). Short ranges are scanned as they are.
 */
export function downsampleIndexed(
	x: ArrayLike<number>,
	columns: readonly Values[],
	indexes: readonly BlockIndex[],
	start: number,
	end: number,
	buckets: number,
): Int32Array {
	const slots = Math.max(1, Math.floor(buckets));
	if (end - start < slots * BLOCK * 4) return downsample(x, columns, start, end, buckets);
	const perBucket = 2 + 2 * columns.length;
	const out = new Int32Array(slots * perBucket);
	const picked = new Int32Array(perBucket);
	const x0 = x[start] ?? 0;
	const span = (x[end - 1] ?? 0) - x0;
	let length = 0;
	let from = start;
	for (let b = 0; b < slots && from < end; b++) {
		let to = end;
		if (b < slots - 1 && span > 0) {
			// Slices ascend: the next cut is searched from this slice's start on.
			const cut = lowerBound(x, x0 + (span * (b + 1)) / slots, from, end);
			to = Math.min(end, Math.max(from + 1, Math.round(cut / BLOCK) * BLOCK));
		}
		let n = 0;
		picked[n++] = from;
		for (let c = 0; c < columns.length; c++) {
			const column = columns[c] ?? [];
			const index = indexes[c];
			const firstBlock = Math.ceil(from / BLOCK);
			const lastBlock = Math.min(Math.floor(to / BLOCK), index?.min.length ?? 0);
			const blocked = index !== undefined && firstBlock < lastBlock;
			// The slice's edges (or all of it, when it spans no whole block) point by point…
			let [minAt, maxAt] = extremes(column, from, blocked ? firstBlock * BLOCK : to);
			let lo = minAt < 0 ? Infinity : (column[minAt] ?? Infinity);
			let hi = maxAt < 0 ? -Infinity : (column[maxAt] ?? -Infinity);
			if (blocked) {
				// …and the whole blocks between them from the index.
				const { min, max, minAt: minIdx, maxAt: maxIdx } = index;
				for (let k = firstBlock; k < lastBlock; k++) {
					const a = min[k] ?? Infinity;
					if (a < lo) {
						lo = a;
						minAt = minIdx[k] ?? -1;
					}
					const z = max[k] ?? -Infinity;
					if (z > hi) {
						hi = z;
						maxAt = maxIdx[k] ?? -1;
					}
				}
				const [a, z] = extremes(column, lastBlock * BLOCK, to);
				const av = a < 0 ? Infinity : (column[a] ?? Infinity);
				const zv = z < 0 ? -Infinity : (column[z] ?? -Infinity);
				if (av < lo) minAt = a;
				if (zv > hi) maxAt = z;
			}
			if (minAt >= 0) picked[n++] = minAt;
			if (maxAt >= 0) picked[n++] = maxAt;
		}
		picked[n++] = to - 1;
		const slice = picked.subarray(0, n).sort();
		for (let k = 0; k < n; k++) {
			const index = slice[k] ?? 0;
			if (length === 0 || out[length - 1] !== index) out[length++] = index;
		}
		from = to;
	}
	return out.slice(0, length);
}

/** `values` at `indices`, as a column uPlot draws (`null` for a gap). */
export function gather(values: Values, indices: ArrayLike<number>): (number | null)[] {
	const out = new Array<number | null>(indices.length);
	for (let k = 0; k < indices.length; k++) out[k] = values[indices[k] ?? 0] ?? null;
	return out;
}
