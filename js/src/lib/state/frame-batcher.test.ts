import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FrameBatcher, nextFrame } from "./frame-batcher.js";

describe("FrameBatcher", () => {
	it("applies everything pushed before a frame as one batch", () => {
		const frames: (() => void)[] = [];
		const apply = vi.fn();
		const batcher = new FrameBatcher<number>(apply, (run) => {
			frames.push(run);
			return () => undefined;
		});
		for (let i = 0; i < 1000; i++) batcher.push(i);
		expect(frames).toHaveLength(1);
		frames[0]?.();
		expect(apply).toHaveBeenCalledOnce();
		expect(apply.mock.calls[0]?.[0]).toHaveLength(1000);
		batcher.push(1);
		expect(frames).toHaveLength(2);
	});

	it("drops what is queued on clear", () => {
		const apply = vi.fn();
		const batcher = new FrameBatcher<number>(apply, nextFrame);
		batcher.push(1);
		batcher.clear();
		batcher.flush();
		expect(apply).not.toHaveBeenCalled();
	});
});

describe("nextFrame", () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it("runs on the next animation frame", () => {
		const run = vi.fn();
		nextFrame(run);
		vi.advanceTimersToNextFrame();
		expect(run).toHaveBeenCalledOnce();
		vi.advanceTimersByTime(1000);
		expect(run).toHaveBeenCalledOnce();
	});

	it("still runs when frames stop (hidden tab), from a timeout", () => {
		const run = vi.fn();
		vi.spyOn(globalThis, "requestAnimationFrame").mockImplementation(() => 0);
		nextFrame(run);
		vi.advanceTimersByTime(250);
		expect(run).toHaveBeenCalledOnce();
	});

	it("can be cancelled", () => {
		const run = vi.fn();
		nextFrame(run)();
		vi.advanceTimersByTime(1000);
		expect(run).not.toHaveBeenCalled();
	});
});
