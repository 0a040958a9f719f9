import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FRAME_MS, FrameBatcher, nextFrame, soonWhenSparse } from "./frame-batcher.js";

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

describe("soonWhenSparse", () => {
	/** A scheduler over a hand-set clock and hand-cranked frames. */
	function setup() {
		let clock = 0;
		const frames: (() => void)[] = [];
		const schedule = soonWhenSparse(
			(run) => {
				frames.push(run);
				return () => undefined;
			},
			() => clock,
		);
		const apply = vi.fn();
		const batcher = new FrameBatcher<number>(apply, schedule);
		return { batcher, apply, frames, at: (ms: number) => (clock = ms) };
	}

	it("applies an event of a sparse stream at the end of its task, with the task's others", async () => {
		const { batcher, apply, frames, at } = setup();
		at(1000);
		batcher.push(1);
		batcher.push(2);
		expect(apply).not.toHaveBeenCalled();
		await Promise.resolve();
		expect(apply.mock.calls).toEqual([[[1, 2]]]);
		at(1000 + Math.ceil(FRAME_MS));
		batcher.push(3);
		await Promise.resolve();
		expect(apply.mock.calls).toEqual([[[1, 2]], [[3]]]);
		expect(frames).toHaveLength(0);
	});

	it("leaves events closer together than a frame to the next frame, one batch", async () => {
		const { batcher, apply, frames, at } = setup();
		at(1000);
		batcher.push(1);
		await Promise.resolve();
		at(1005);
		batcher.push(2);
		at(1010);
		batcher.push(3);
		await Promise.resolve();
		expect(apply).toHaveBeenCalledTimes(1);
		expect(frames).toHaveLength(1);
		at(1016);
		frames[0]?.();
		expect(apply.mock.calls[1]).toEqual([[2, 3]]);
		// A frame counts as a flush: the next event within a frame of it waits too.
		at(1020);
		batcher.push(4);
		await Promise.resolve();
		expect(apply).toHaveBeenCalledTimes(2);
		expect(frames).toHaveLength(2);
	});

	it("applies nothing that was cleared before the task ended", async () => {
		const { batcher, apply } = setup();
		batcher.push(1);
		batcher.clear();
		await Promise.resolve();
		expect(apply).not.toHaveBeenCalled();
	});
});
