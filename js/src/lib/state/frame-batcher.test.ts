import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
	FEW_PER_FRAME,
	FRAME_MS,
	FrameBatcher,
	nextFrame,
	soonWhenSparse,
} from "./frame-batcher.js";

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
		at(1008);
		batcher.push(3);
		at(1010);
		batcher.push(4);
		await Promise.resolve();
		expect(apply).toHaveBeenCalledTimes(1);
		expect(frames).toHaveLength(1);
		at(1016);
		frames[0]?.();
		expect(apply.mock.calls[1]).toEqual([[2, 3, 4]]);
		// A frame's flush of more than a few counts as a dense stream's: the next event
		// within a frame of it waits for the next frame too.
		at(1020);
		batcher.push(5);
		await Promise.resolve();
		expect(apply).toHaveBeenCalledTimes(2);
		expect(frames).toHaveLength(2);
	});

	it(`applies the first event after a frame's flush of ${FEW_PER_FRAME} or fewer at once`, async () => {
		// 100 events/s: one every 10 ms, 1.7 a 60 Hz frame.
		const { batcher, apply, frames, at } = setup();
		at(1000);
		batcher.push(1);
		await Promise.resolve();
		at(1010);
		batcher.push(2);
		await Promise.resolve();
		expect(frames).toHaveLength(1);
		at(1016.7);
		frames[0]?.();
		expect(apply.mock.calls).toEqual([[[1]], [[2]]]);
		// Just after the frame began: drawn before the next one, not a frame and a draw
		// later.
		at(1020);
		batcher.push(3);
		await Promise.resolve();
		expect(apply.mock.calls[2]).toEqual([[3]]);
		expect(frames).toHaveLength(1);
		// An early flush is no frame's: the next event within a frame of it waits.
		at(1030);
		batcher.push(4);
		await Promise.resolve();
		expect(apply).toHaveBeenCalledTimes(3);
		expect(frames).toHaveLength(2);
	});

	it("flushes a dense stream once a frame, and at most twice a frame for any rate", async () => {
		for (const perSecond of [100, 150, 200, 300, 1000, 5000]) {
			const { batcher, apply, frames, at } = setup();
			const gap = 1000 / perSecond;
			let next = 0;
			let pushed = 0;
			// Two seconds of events, the frames at 60 Hz between them.
			for (let frame = 1; frame <= 120; frame++) {
				const tick = frame * FRAME_MS;
				while (next < tick) {
					at(next);
					batcher.push(next);
					pushed++;
					await Promise.resolve();
					next += gap;
				}
				at(tick);
				const due = frames.splice(0);
				for (const run of due) run();
			}
			const flushes = apply.mock.calls.length;
			expect(flushes, `${perSecond}/s`).toBeLessThanOrEqual(2 * 120);
			// 100/s: 81 flushes a second (the first event after each frame's flush early).
			if (perSecond === 100) expect(flushes).toBeGreaterThan(150);
			if (perSecond >= 300) expect(flushes, `${perSecond}/s`).toBeLessThanOrEqual(121);
			const applied = apply.mock.calls.reduce((n, [batch]) => n + batch.length, 0);
			expect(applied, `${perSecond}/s`).toBe(pushed);
		}
	});

	it("applies nothing that was cleared before the task ended", async () => {
		const { batcher, apply } = setup();
		batcher.push(1);
		batcher.clear();
		await Promise.resolve();
		expect(apply).not.toHaveBeenCalled();
	});
});
