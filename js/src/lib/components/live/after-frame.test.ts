import "../../../test/jsdom-env.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { afterFrame } from "./after-frame.js";

describe("afterFrame", () => {
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it("runs what was asked before a frame in the task after it, together, layout once", () => {
		const ran: string[] = [];
		const layout = vi.spyOn(document.documentElement, "getBoundingClientRect");
		afterFrame(() => ran.push("a"));
		afterFrame(() => ran.push("b"));
		vi.advanceTimersToNextFrame();
		// Not in the frame's callbacks: they run before its paint.
		expect(ran).toEqual([]);
		vi.advanceTimersToNextTimer();
		expect(ran).toEqual(["a", "b"]);
		expect(layout).toHaveBeenCalledTimes(1);
		// Asked again: the next frame's turn.
		afterFrame(() => ran.push("c"));
		vi.advanceTimersToNextTimer();
		expect(ran).toEqual(["a", "b"]);
		vi.advanceTimersToNextFrame();
		vi.advanceTimersToNextTimer();
		expect(ran).toEqual(["a", "b", "c"]);
	});

	it("skips what was cancelled", () => {
		const ran: string[] = [];
		const cancel = afterFrame(() => ran.push("a"));
		afterFrame(() => ran.push("b"));
		cancel();
		vi.advanceTimersToNextFrame();
		vi.advanceTimersToNextTimer();
		expect(ran).toEqual(["b"]);
	});
});
