import "../../../test/jsdom-env.js";
import { cleanup, render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChannelStore } from "$lib/state";
import LiveChart from "./LiveChart.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

describe("LiveChart", () => {
	beforeEach(() => {
		localStorage.clear();
		// jsdom has no canvas: the chart keeps its text and attributes and skips drawing.
		vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
	});

	function trained(steps: number): ChannelStore {
		const store = new ChannelStore("train");
		store.apply(
			Array.from({ length: steps }, (_, step) =>
				envelope("train", "metric", { step, values: { loss: 1 / (step + 1), acc: step / 100 } }),
			),
		);
		return store;
	}

	it("exposes the point count and series count", () => {
		const store = trained(121);
		const { container } = render(LiveChart, { metrics: store.metrics["train"]! });
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.dataset.points).toBe("121");
		expect(chart.dataset.series).toBe("2");

		store.apply([envelope("train", "metric", { step: 121, values: { loss: 0.31 } })]);
		flushSync();
		expect(chart.dataset.points).toBe("122");
	});

	it("has a text alternative with the latest value of each series", () => {
		const store = trained(120);
		store.apply([envelope("train", "metric", { step: 120, values: { loss: 0.31 } })]);
		const { container } = render(LiveChart, { metrics: store.metrics["train"]! });
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.getAttribute("aria-label")).toBe("Line chart of loss, acc by step, 121 points");
		const items = [...container.querySelectorAll("[data-slot=chart-text] li")].map(
			(li) => li.textContent,
		);
		// acc had no value at step 120: its latest is the one at step 119.
		expect(items).toEqual(["loss 0.31 at step 120", "acc 1.19 at step 119"]);
		expect(container.querySelector("[data-slot=chart-text]")!.className).toContain("sr-only");
	});

	it("redraws its text at the text rate while the points follow every batch", async () => {
		vi.useFakeTimers();
		try {
			const store = trained(3);
			const { container } = render(LiveChart, { metrics: store.metrics["train"]! });
			const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
			const text = () => container.querySelector("[data-slot=chart-text] li")!.textContent;
			const add = (step: number, loss: number) => {
				store.apply([envelope("train", "metric", { step, values: { loss } })]);
				flushSync();
			};
			add(3, 0.5);
			// The point at once; its text in the task after the frame that shows it, not in
			// that frame (`leading`, `afterFrame`).
			expect(chart.dataset.points).toBe("4");
			expect(text()).toBe("loss 0.3333 at step 2");
			vi.advanceTimersToNextFrame();
			flushSync();
			expect(text()).toBe("loss 0.3333 at step 2");
			vi.advanceTimersToNextTimer();
			expect(text()).toBe("loss 0.5 at step 3");
			expect(container.textContent).toContain("4 points");
			add(4, 0.25);
			expect(chart.dataset.points).toBe("5");
			// Within the text interval: the text holds, although the series grew.
			expect(text()).toBe("loss 0.5 at step 3");
			await vi.advanceTimersByTimeAsync(150);
			expect(text()).toBe("loss 0.25 at step 4");
		} finally {
			vi.useRealTimers();
		}
	});

	it("draws a legend in the chart token colours", () => {
		const { container } = render(LiveChart, { metrics: trained(3).metrics["train"]! });
		const swatches = container.querySelectorAll("[data-slot=chart-legend-swatch]");
		expect(swatches[0]!.className).toContain("bg-chart-1");
		expect(swatches[1]!.className).toContain("bg-chart-2");
	});

	it("hides and shows a series from its legend button", async () => {
		const { container } = render(LiveChart, { metrics: trained(3).metrics["train"]! });
		const button = container.querySelector<HTMLButtonElement>(
			"[data-slot=chart-legend] button[aria-label='Hide loss']",
		)!;
		expect(button.getAttribute("aria-pressed")).toBe("true");
		button.click();
		flushSync();
		expect(button.getAttribute("aria-pressed")).toBe("false");
		expect(button.getAttribute("aria-label")).toBe("Show loss");
		button.click();
		flushSync();
		expect(button.getAttribute("aria-pressed")).toBe("true");
	});

	it("draws steps by the time they were sent on demand", () => {
		const { container } = render(LiveChart, { metrics: trained(3).metrics["train"]! });
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.getAttribute("aria-label")).toBe("Line chart of loss, acc by step, 3 points");
		const group = container.querySelector("[role=group][aria-label='X axis']")!;
		[...group.querySelectorAll("button")].find((b) => b.textContent?.trim() === "Time")!.click();
		flushSync();
		expect(chart.getAttribute("aria-label")).toBe("Line chart of loss, acc by time, 3 points");
	});

	it("remembers smoothing, scale and x kind per channel", () => {
		const store = trained(3);
		const first = render(LiveChart, { metrics: store.metrics["train"]! });
		const log = [...first.container.querySelectorAll("button")].find(
			(b) => b.textContent?.trim() === "Log",
		)!;
		log.click();
		[...first.container.querySelectorAll("button")]
			.find((b) => b.textContent?.trim() === "Time")!
			.click();
		flushSync();
		first.unmount();
		const { container } = render(LiveChart, { metrics: store.metrics["train"]! });
		const chart = container.querySelector<HTMLElement>("[data-slot=chart]")!;
		expect(chart.getAttribute("aria-label")).toContain("by time");
		const again = [...container.querySelectorAll("button")].find(
			(b) => b.textContent?.trim() === "Log",
		)!;
		expect(again.getAttribute("aria-pressed")).toBe("true");
	});

	it("offers no step axis for points sent without steps", () => {
		const store = new ChannelStore("t");
		store.apply([envelope("t", "metric", { values: { gpu: 50 } })]);
		const { container } = render(LiveChart, { metrics: store.metrics["t"]! });
		expect(container.querySelector("[role=group][aria-label='X axis']")).toBeNull();
		expect(container.querySelector("[data-slot=chart]")!.getAttribute("aria-label")).toBe(
			"Line chart of gpu by time, 1 point",
		);
	});
});
