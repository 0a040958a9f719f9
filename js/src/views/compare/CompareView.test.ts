import "../../test/jsdom-env.js";
import { cleanup, render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChannelStore } from "$lib/state";
import { envelope } from "../../test/live-events.js";
import CompareView from "./CompareView.svelte";

afterEach(cleanup);

function run(channel: string, scale: number): ChannelStore {
	const store = new ChannelStore(channel);
	store.apply(
		Array.from({ length: 5 }, (_, step) =>
			envelope(channel, "metric", { step, values: { loss: scale / (step + 1), lr: 0.1 } }),
		),
	);
	return store;
}

describe("CompareView", () => {
	beforeEach(() => {
		vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
	});

	it("overlays one metric of every run, named by channel, one colour each", () => {
		const { container } = render(CompareView, { stores: [run("a/1", 1), run("a/2", 2)] });
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.getAttribute("aria-label")).toBe("Line chart of a/1, a/2 by step, 5 points");
		const swatches = container.querySelectorAll("[data-slot=chart-legend-swatch]");
		expect(swatches[0]!.className).toContain("bg-chart-1");
		expect(swatches[1]!.className).toContain("bg-chart-2");
	});

	it("switches metric from its picker", () => {
		const { container } = render(CompareView, { stores: [run("a/1", 1), run("a/2", 2)] });
		const select = container.querySelector<HTMLSelectElement>("[data-slot=compare-metric]")!;
		expect([...select.options].map((o) => o.value)).toEqual(["loss", "lr"]);
		select.value = "lr";
		select.dispatchEvent(new Event("change", { bubbles: true }));
		flushSync();
		expect(container.querySelector("[data-slot=compare-view]")!.getAttribute("data-metric")).toBe(
			"lr",
		);
		const text = [...container.querySelectorAll("[data-slot=chart-text] li")].map(
			(li) => li.textContent,
		);
		expect(text).toEqual(["a/1 0.1 at step 4", "a/2 0.1 at step 4"]);
	});

	it("asks for a second run when there is one", () => {
		const { container } = render(CompareView, { stores: [run("a/1", 1)] });
		expect(container.textContent).toContain("Pick two or more channels");
	});
});
