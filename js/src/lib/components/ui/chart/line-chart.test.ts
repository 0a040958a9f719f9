import "../../../../test/jsdom-env.js";
import { cleanup, render } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LineChart } from "./index.js";

afterEach(cleanup);

describe("LineChart", () => {
	beforeEach(() => {
		vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
	});

	it("counts points and describes the latest values", () => {
		const x = [0, 1, 2];
		const { container } = render(LineChart, {
			x,
			series: [
				{ name: "loss", values: [0.9, 0.5, 0.31] },
				{ name: "lr", values: [0.1, null, null] },
			],
		});
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.dataset.points).toBe("3");
		const items = [...chart.querySelectorAll("[data-slot=chart-text] li")].map(
			(li) => li.textContent,
		);
		expect(items).toEqual(["loss 0.31 at step 2", "lr 0.1 at step 0"]);
	});

	it("reads clock times when x is epoch seconds", () => {
		const { container } = render(LineChart, {
			x: [Date.UTC(2025, 0, 1, 12, 0, 5) / 1000],
			series: [{ name: "gpu", values: [71] }],
			time: true,
			xLabel: "time",
		});
		const text = container.querySelector("[data-slot=chart-text] li")!.textContent!;
		expect(text).toMatch(/^gpu 71 at time \d\d:\d\d:05$/);
	});

	it("says so when there is nothing to draw", () => {
		const { container } = render(LineChart, { x: [], series: [] });
		expect(container.querySelector("[data-slot=chart]")!.getAttribute("aria-label")).toBe(
			"Line chart, no data yet",
		);
	});
});
