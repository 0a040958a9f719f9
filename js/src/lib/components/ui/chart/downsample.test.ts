import { describe, expect, it } from "vitest";
import {
	BLOCK,
	BlockIndex,
	downsample,
	downsampleIndexed,
	gather,
	lowerBound,
	upperBound,
	visibleRange,
} from "./downsample.js";
import { Smoother, ema } from "./smooth.js";

function steps(n: number): number[] {
	return Array.from({ length: n }, (_, i) => i);
}

describe("downsample", () => {
	it("keeps every peak and trough of a long noisy line", () => {
		const n = 1_000_000;
		const x = steps(n);
		const values = x.map((i) => Math.sin(i / 5000));
		values[123_457] = 50; // a one-point spike
		values[777_001] = -50; // a one-point dip
		const indices = downsample(x, [values], 0, n, 800);
		const drawn = gather(values, indices);
		expect(drawn).toContain(50);
		expect(drawn).toContain(-50);
		expect(Math.max(...(drawn as number[]))).toBe(50);
	});

	it("keeps both endpoints", () => {
		const x = steps(100_000);
		const values = x.map((i) => (i * 7919) % 101);
		const indices = downsample(x, [values], 0, x.length, 300);
		expect(indices[0]).toBe(0);
		expect(indices[indices.length - 1]).toBe(99_999);
	});

	it("returns at most a few points per pixel column, ascending, whatever the input", () => {
		for (const n of [10_000, 100_000, 1_000_000]) {
			const x = steps(n);
			const a = x.map((i) => Math.sin(i));
			const b = x.map((i) => (i % 3 === 0 ? null : Math.cos(i)));
			const indices = downsample(x, [a, b], 0, n, 640);
			expect(indices.length).toBeLessThanOrEqual(640 * (2 + 2 * 2));
			for (let k = 1; k < indices.length; k++) {
				expect(indices[k]!).toBeGreaterThan(indices[k - 1]!);
			}
		}
	});

	it("gives every point back when there are fewer than the columns can show", () => {
		const x = steps(50);
		expect([...downsample(x, [x], 10, 20, 100)]).toEqual(steps(10).map((i) => i + 10));
	});

	it("slices by x, not by index, when points are unevenly spaced", () => {
		// 10,000 points in the first tenth of the span, one far away: both ends are kept
		// and the dense part does not take every slot.
		const x = [...steps(10_000).map((i) => i / 100), 1000];
		const v = x.map((_, i) => (i === 10_000 ? 5 : i % 2));
		const indices = downsample(x, [v], 0, x.length, 100);
		expect(indices[indices.length - 1]).toBe(10_000);
		expect(indices.length).toBeLessThanOrEqual(100 * 4);
	});

	it("finds the indices that draw a zoomed range, with one point beyond each edge", () => {
		const x = [0, 10, 20, 30, 40, 50];
		expect(lowerBound(x, 20)).toBe(2);
		expect(upperBound(x, 20)).toBe(2);
		expect(upperBound(x, 25)).toBe(2);
		expect(visibleRange(x, 15, 35)).toEqual([1, 5]);
		expect(visibleRange(x, null, null)).toEqual([0, 6]);
		expect(visibleRange([], 1, 2)).toEqual([0, 0]);
	});
});

describe("ema", () => {
	it("leaves the line as it is at 0 and debiases the first points", () => {
		expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
		// Debiased: a constant line stays at its value from the first point on.
		expect(ema([4, 4, 4], 0.9).map((v) => v!.toFixed(9))).toEqual([
			"4.000000000",
			"4.000000000",
			"4.000000000",
		]);
	});

	it("flattens noise and keeps gaps", () => {
		const noisy = steps(200).map((i) => (i % 2 ? 1 : -1));
		const smoothed = ema(noisy, 0.9);
		expect(Math.abs(smoothed[199]!)).toBeLessThan(0.1);
		expect(ema([1, null, 3], 0.5)[1]).toBeNull();
	});

	it("extends as the column grows, and starts over when the column was cut", () => {
		const smoother = new Smoother();
		const x = [0, 1, 2];
		const values: (number | null)[] = [1, 2, 3];
		smoother.update(x, values, 0.6);
		x.push(3);
		values.push(10);
		expect(smoother.update(x, values, 0.6)).toEqual(ema(values, 0.6));
		x.splice(0, 2);
		values.splice(0, 2);
		expect(smoother.update(x, values, 0.6)).toEqual(ema(values, 0.6));
		expect(smoother.update(x, values, 0.3)).toEqual(ema(values, 0.3));
	});
});

describe("downsampleIndexed", () => {
	it("keeps the peaks, both ends and the bound, reading whole blocks", () => {
		const n = 1_000_000;
		const x = steps(n);
		const a: (number | null)[] = x.map((i) => Math.sin(i / 3000));
		const b: (number | null)[] = x.map((i) => Math.cos(i / 7000));
		a[400_001] = 9;
		b[999_998] = -9;
		const indexes = [new BlockIndex(), new BlockIndex()];
		indexes.forEach((index, i) => index.update(x, [a, b][i]!));
		const picked = downsampleIndexed(x, [a, b], indexes, 0, n, 700);
		expect(picked.length).toBeLessThanOrEqual(700 * 6);
		expect(picked[0]).toBe(0);
		expect(picked[picked.length - 1]).toBe(n - 1);
		expect(gather(a, picked)).toContain(9);
		expect(gather(b, picked)).toContain(-9);
	});

	it("follows a column that grows in place, and one that was cut", () => {
		const x = steps(10_000);
		const v: number[] = x.map(() => 0);
		const index = new BlockIndex();
		index.update(x, v);
		expect(index.minAt.length).toBe(Math.floor(10_000 / BLOCK));
		for (let i = 0; i < 1000; i++) {
			x.push(x.length);
			v.push(i === 500 ? 7 : 0);
		}
		index.update(x, v);
		expect(index.maxAt).toContain(10_500);
		x.splice(0, 1000);
		v.splice(0, 1000);
		index.update(x, v);
		expect(index.maxAt).toContain(9_500);
		expect(index.minAt.length).toBe(Math.floor(10_000 / BLOCK));
	});
});
