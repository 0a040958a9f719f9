import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Toaster, type ToastData } from "./index.js";

afterEach(cleanup);

describe("Toaster", () => {
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	const toasts: ToastData[] = [
		{ id: 1, message: "checkpoint saved", level: "success" },
		{ id: 2, message: "loss is NaN", title: "Training", level: "error" },
	];

	it("shows toasts inside a polite live region, newest in front", () => {
		render(Toaster, { toasts, ondismiss: () => {} });
		const region = screen.getByRole("region", { name: "Notifications" });
		expect(region.getAttribute("aria-live")).toBe("polite");
		expect(screen.getByText("checkpoint saved")).toBeTruthy();
		expect(screen.getByText("Training")).toBeTruthy();
		const items = region.querySelectorAll("[data-slot=toaster-item]");
		expect(items[0]!.textContent).toContain("loss is NaN");
		expect(items[0]!.hasAttribute("data-front")).toBe(true);
	});

	it("styles each level", () => {
		render(Toaster, { toasts, ondismiss: () => {} });
		const error = screen.getByText("loss is NaN").closest("[data-slot=toast]")!;
		expect(error.getAttribute("data-level")).toBe("error");
		expect(error.className).toContain("border-destructive/40");
		const odd = screen.getByText("checkpoint saved").closest("[data-slot=toast]")!;
		expect(odd.getAttribute("data-level")).toBe("success");
	});

	it("dismisses itself after its duration", async () => {
		const ondismiss = vi.fn();
		render(Toaster, { toasts: [toasts[0]!], ondismiss, duration: 1000 });
		await vi.advanceTimersByTimeAsync(900);
		expect(ondismiss).not.toHaveBeenCalled();
		await vi.advanceTimersByTimeAsync(400);
		expect(ondismiss).toHaveBeenCalledWith(1);
	});

	it("keeps errors twice as long", async () => {
		const ondismiss = vi.fn();
		render(Toaster, { toasts: [toasts[1]!], ondismiss, duration: 1000 });
		await vi.advanceTimersByTimeAsync(1500);
		expect(ondismiss).not.toHaveBeenCalled();
		await vi.advanceTimersByTimeAsync(800);
		expect(ondismiss).toHaveBeenCalledWith(2);
	});

	it("pauses while hovered", async () => {
		const ondismiss = vi.fn();
		const { container } = render(Toaster, { toasts: [toasts[0]!], ondismiss, duration: 1000 });
		const stack = container.querySelector("ol")!;
		await vi.advanceTimersByTimeAsync(600);
		await fireEvent.mouseEnter(stack);
		await vi.advanceTimersByTimeAsync(5000);
		expect(ondismiss).not.toHaveBeenCalled();
		await fireEvent.mouseLeave(stack);
		await vi.advanceTimersByTimeAsync(700);
		expect(ondismiss).toHaveBeenCalledWith(1);
	});

	it("closes on the dismiss button", async () => {
		const ondismiss = vi.fn();
		render(Toaster, { toasts: [toasts[0]!], ondismiss });
		await fireEvent.click(screen.getByRole("button", { name: "Dismiss notification" }));
		await vi.advanceTimersByTimeAsync(250);
		expect(ondismiss).toHaveBeenCalledWith(1);
	});

	it("removes a toast the store dropped", async () => {
		const { rerender } = render(Toaster, { toasts, ondismiss: () => {} });
		await rerender({ toasts: [toasts[1]!] });
		expect(screen.queryByText("checkpoint saved")).toBeNull();
		expect(screen.getByText("loss is NaN")).toBeTruthy();
	});
});
