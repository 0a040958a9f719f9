import { cleanup, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { Progress } from "./index.js";

afterEach(cleanup);

describe("Progress", () => {
	it("exposes its value to assistive technology", () => {
		render(Progress, { value: 40, total: 100, label: "epoch 1", rate: 12 });
		const bar = screen.getByRole("progressbar");
		expect(bar.getAttribute("aria-valuenow")).toBe("40");
		expect(bar.getAttribute("aria-valuemin")).toBe("0");
		expect(bar.getAttribute("aria-valuemax")).toBe("100");
		expect(bar.getAttribute("aria-label")).toBe("epoch 1");
		expect(bar.getAttribute("aria-valuetext")).toBe(
			"epoch 1: 40 of 100 (40%), 12.0 it/s, about 5s left",
		);
	});

	it("eases the bar unless told not to", () => {
		const indicator = (container: HTMLElement) =>
			container.querySelector("[data-slot=progress-indicator]")!.className;
		expect(indicator(render(Progress, { value: 40, total: 100 }).container)).toContain(
			"transition-transform",
		);
		expect(
			indicator(render(Progress, { value: 40, total: 100, animate: false }).container),
		).not.toContain("transition");
	});

	it("shows counts, rate and a human-friendly ETA", () => {
		render(Progress, { value: 1500, total: 10000, label: "rows", rate: 2, unit: "row" });
		expect(screen.getByText("1,500 / 10,000")).toBeTruthy();
		expect(screen.getByText("2.0 row/s")).toBeTruthy();
		expect(screen.getByText("ETA 1h 10m")).toBeTruthy();
	});

	it("is indeterminate without a total", () => {
		render(Progress, { value: 7, label: "files" });
		const bar = screen.getByRole("progressbar");
		expect(bar.getAttribute("aria-valuenow")).toBeNull();
		expect(bar.dataset.state).toBe("indeterminate");
		expect(bar.getAttribute("aria-valuetext")).toBe("files: 7 it");
	});

	it("marks a finished task done", () => {
		const { container } = render(Progress, {
			value: 100,
			total: 100,
			label: "x",
			done: true,
			rate: 5,
		});
		const root = container.querySelector("[data-slot=progress]")!;
		expect(root.getAttribute("data-state")).toBe("done");
		expect(screen.getByRole("progressbar").getAttribute("aria-valuetext")).toBe(
			"x: done, 100 of 100 (100%)",
		);
		expect(screen.getByText("Done")).toBeTruthy();
		expect(screen.queryByText(/ETA/)).toBeNull();
	});

	it("fills the bar when done without a known total", () => {
		render(Progress, { value: 12, done: true });
		const bar = screen.getByRole("progressbar");
		expect(bar.getAttribute("aria-valuenow")).toBe("12");
		expect(bar.getAttribute("aria-valuemax")).toBe("12");
	});

	it("shows the error state and message", () => {
		const { container } = render(Progress, {
			value: 3,
			total: 10,
			label: "upload",
			error: "disk full",
		});
		expect(container.querySelector("[data-slot=progress]")!.getAttribute("data-state")).toBe(
			"error",
		);
		const bar = screen.getByRole("progressbar");
		expect(bar.getAttribute("aria-invalid")).toBe("true");
		expect(bar.getAttribute("aria-valuetext")).toBe("upload: 3 of 10 (30%), failed: disk full");
		expect(screen.getByText("disk full")).toBeTruthy();
	});

	it("clamps a value past the total", () => {
		render(Progress, { value: 120, total: 100 });
		expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
	});
});
