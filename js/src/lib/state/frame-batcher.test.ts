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
		let due: (() => void)[] = [];
		const schedule = soonWhenSparse(
			(run) => {
				due.push(run);
				return () => undefined;
			},
			() => clock,
		);
		const apply = vi.fn();
		const batcher = new FrameBatcher<number>(apply, schedule);
		/** The next animation frame, at `ms`: what was asked of it runs. */
		const frameAt = (ms: number): void => {
			clock = ms;
			const running = due;
			due = [];
			for (const run of running) run();
		};
		/** An event's task at `ms`, and the microtasks after it. */
		const eventAt = async (ms: number, ...items: number[]): Promise<void> => {
			clock = ms;
			for (const item of items) batcher.push(item);
			await Promise.resolve();
		};
		return { batcher, apply, eventAt, frameAt };
	}

	it("applies an event of a sparse stream at the end of its task, with the task's others", async () => {
		const { batcher, apply, eventAt, frameAt } = setup();
		batcher.push(1);
		batcher.push(2);
		expect(apply).not.toHaveBeenCalled();
		await Promise.resolve();
		expect(apply.mock.calls).toEqual([[[1, 2]]]);
		frameAt(10);
		await eventAt(100, 3);
		expect(apply.mock.calls).toEqual([[[1, 2]], [[3]]]);
	});

	it("applies two events early per frame, the others of that frame in the next one", async () => {
		// 100 events/s: one every 10 ms, 1.7 a 60 Hz frame.
		const { apply, eventAt, frameAt } = setup();
		await eventAt(1003, 1);
		await eventAt(1013, 2); // the second since the frame that began at 1000
		expect(apply.mock.calls).toEqual([[[1]], [[2]]]);
		// A third in the same frame waits for the next one, which applies it.
		await eventAt(1015, 3);
		expect(apply).toHaveBeenCalledTimes(2);
		frameAt(1016.7);
		expect(apply.mock.calls[2]).toEqual([[3]]);
		// That frame's flush counts: one more goes early in it, the next waits.
		await eventAt(1023, 4);
		expect(apply.mock.calls[3]).toEqual([[4]]);
		await eventAt(1030, 5);
		expect(apply).toHaveBeenCalledTimes(4);
		frameAt(1033.4);
		expect(apply.mock.calls[4]).toEqual([[5]]);
		// A frame with nothing to apply resets the count: two early again.
		frameAt(1050.1);
		await eventAt(1051, 6);
		await eventAt(1061, 7);
		expect(apply.mock.calls.slice(5)).toEqual([[[6]], [[7]]]);
	});

	it("leaves a dense stream's events to the next frame, one batch", async () => {
		const { apply, eventAt, frameAt } = setup();
		await eventAt(1000, 1);
		await eventAt(1003, 2);
		await eventAt(1005, 3);
		await eventAt(1008, 4);
		await eventAt(1010, 5);
		frameAt(1016.7);
		expect(apply.mock.calls).toEqual([[[1]], [[2]], [[3, 4, 5]]]);
		// A frame's flush of more than a few: the next event waits for the next frame too,
		// though none went early in this one.
		await eventAt(1020, 6);
		expect(apply).toHaveBeenCalledTimes(3);
		frameAt(1033.4);
		expect(apply.mock.calls[3]).toEqual([[6]]);
		// A frame after it, the stream is sparse again.
		await eventAt(1060, 7);
		expect(apply.mock.calls[4]).toEqual([[7]]);
	});

	it("flushes a dense stream once a frame, and at most twice a frame for any rate", async () => {
		for (const perSecond of [10, 60, 100, 150, 200, 300, 1000, 5000]) {
			const { apply, eventAt, frameAt } = setup();
			const gap = 1000 / perSecond;
			let next = 0;
			let pushed = 0;
			// Flushes from one frame's start to the next one's (the frame's own included).
			const perFrame: number[] = [];
			let before = 0;
			// Two seconds of events, the frames at 60 Hz between them.
			for (let frame = 1; frame <= 120; frame++) {
				const tick = frame * FRAME_MS;
				for (; next < tick; next += gap) {
					await eventAt(next, next);
					pushed++;
				}
				perFrame.push(apply.mock.calls.length - before);
				before = apply.mock.calls.length;
				frameAt(tick);
			}
			const flushes = apply.mock.calls.length;
			const applied = apply.mock.calls.reduce((n, [batch]) => n + batch.length, 0);
			expect(applied, `${perSecond}/s`).toBe(pushed);
			expect(Math.max(...perFrame), `${perSecond}/s`).toBeLessThanOrEqual(FEW_PER_FRAME);
			// Up to a few a frame, every event is applied on its own.
			if (perSecond <= 100) expect(flushes, `${perSecond}/s`).toBe(pushed);
			// Dense: once the first frame's flush showed it, one flush a frame.
			if (perSecond >= 300) expect(Math.max(...perFrame.slice(1)), `${perSecond}/s`).toBe(1);
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
