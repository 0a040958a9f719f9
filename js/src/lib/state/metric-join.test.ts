import { describe, expect, it } from "vitest";
import { joinRuns, metricLines } from "./metric-join.js";
import { MetricSeries } from "./metric-series.svelte.js";

describe("joinRuns", () => {
	it("puts runs logged at different steps on one x column, with gaps", () => {
		const joined = joinRuns([
			{ name: "a", x: [0, 2, 4], values: [1, 0.5, 0.25] },
			{ name: "b", x: [1, 2, 3], values: [0.9, null, 0.3] },
		]);
		expect(joined.x).toEqual([0, 1, 2, 3, 4]);
		expect(joined.columns).toEqual([
			[1, null, 0.5, null, 0.25],
			[null, 0.9, null, 0.3, null],
		]);
	});

	it("aligns a run whose x is not in order", () => {
		const joined = joinRuns([
			{ name: "a", x: [3, 1], values: [30, 10] },
			{ name: "b", x: [2], values: [20] },
		]);
		expect(joined.x).toEqual([1, 2, 3]);
		expect(joined.columns).toEqual([
			[10, null, 30],
			[null, 20, null],
		]);
	});
});

describe("metricLines", () => {
	it("takes the runs that have the metric, named by channel", () => {
		const a = new MetricSeries("train/a");
		a.push({ ts: 10, step: 0, values: { loss: 1 } });
		const b = new MetricSeries("train/b");
		b.push({ ts: 11, step: 0, values: { acc: 0.5 } });
		a.commit();
		b.commit();
		const lines = metricLines([a, b], "loss", false);
		expect(lines.map((l) => l.name)).toEqual(["train/a"]);
		expect(metricLines([a], "loss", true)[0]!.x).toEqual([10]);
	});
});
