import { describe, expect, it } from "vitest";
import { MetricSeries } from "./metric-series.svelte.js";

describe("MetricSeries", () => {
	it("keeps columns aligned, with null where a point has no value", () => {
		const series = new MetricSeries("demo");
		series.push({ ts: 1, step: 0, values: { loss: 1 } });
		series.push({ ts: 2, step: 1, values: { loss: 0.5, acc: 0.7 } });
		series.push({ ts: 3, step: 2, values: { acc: null } });
		expect(series.commit()).toBe(true);
		expect(series.length).toBe(3);
		expect(series.names).toEqual(["loss", "acc"]);
		expect(series.aligned()).toEqual([
			[0, 1, 2],
			[1, 0.5, null],
			[null, 0.7, null],
		]);
		expect(series.latest("acc")).toBe(0.7);
		expect(series.latest("missing")).toBeNull();
	});

	it("publishes to readers only on commit, once", () => {
		const series = new MetricSeries("demo");
		series.push({ ts: 1, values: { a: 1 } });
		expect(series.length).toBe(0);
		expect(series.version).toBe(0);
		series.commit();
		expect(series.version).toBe(1);
		expect(series.commit()).toBe(false);
		expect(series.version).toBe(1);
	});

	it("uses time as x when the first point has no step, and continues steps when one is missing", () => {
		const byTime = new MetricSeries("t");
		byTime.push({ ts: 100.5, values: { a: 1 } });
		byTime.push({ ts: 101.5, step: 9, values: { a: 2 } });
		byTime.commit();
		expect(byTime.xKind).toBe("ts");
		expect(byTime.x).toEqual([100.5, 101.5]);

		const bySteps = new MetricSeries("s");
		bySteps.push({ ts: 1, step: 10, values: { a: 1 } });
		bySteps.push({ ts: 2, values: { a: 2 } });
		bySteps.commit();
		expect(bySteps.xKind).toBe("step");
		expect(bySteps.x).toEqual([10, 11]);
	});

	it("drops the oldest tenth at once past the cap", () => {
		const series = new MetricSeries("demo", 100);
		for (let i = 0; i <= 100; i++) series.push({ ts: i, step: i, values: { a: i } });
		series.commit();
		expect(series.length).toBe(91);
		expect(series.x[0]).toBe(10);
		expect(series.column("a")[0]).toBe(10);
	});

	it("merges a snapshot: keeps what is older than it, takes the rest from it", () => {
		const series = new MetricSeries("demo");
		for (let i = 0; i < 10; i++) series.push({ ts: i, step: i, values: { a: i } });
		series.merge([
			{ ts: 7, step: 7, values: { a: 70 } },
			{ ts: 8, step: 8, values: { a: 80 } },
			{ ts: 11, step: 11, values: { a: 110 } },
		]);
		series.commit();
		expect(series.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 11]);
		expect(series.column("a").slice(-3)).toEqual([70, 80, 110]);
	});

	it("round-trips through its snapshot form", () => {
		const series = new MetricSeries("demo");
		for (let i = 0; i < 5; i++)
			series.push({ ts: 10 + i, step: i, values: { a: i, b: i % 2 ? null : i } });
		const points = series.toSnapshot(3);
		expect(points).toEqual([
			{ ts: 12, step: 2, values: { a: 2, b: 2 } },
			{ ts: 13, step: 3, values: { a: 3 } },
			{ ts: 14, step: 4, values: { a: 4, b: 4 } },
		]);
		const copy = new MetricSeries("demo");
		copy.merge(points);
		copy.commit();
		expect(copy.aligned()).toEqual([
			[2, 3, 4],
			[2, 3, 4],
			[2, null, 4],
		]);
	});
});
