// Frame timing measured inside the page.
//
// Two numbers per frame:
// - interval: between consecutive requestAnimationFrame timestamps. At 60 Hz it
//   cannot go below ~16.7 ms; a longer one means vsync slots went by with no frame.
// - work: from the frame's rAF timestamp to the first task that runs after that
//   frame was rendered (a MessageChannel message posted from rAF). It covers the
//   store flush, Svelte's effects, style, layout and paint on the main thread, plus
//   any event handling queued in between: the time the frame kept the thread busy.

export interface FrameSample {
	intervals: number[];
	work: number[];
}

export const MEASURE_START = "bench:measure-start";
export const MEASURE_END = "bench:measure-end";

export function measureFrames(durationMs: number): Promise<FrameSample> {
	return new Promise((resolve) => {
		const intervals: number[] = [];
		const work: number[] = [];
		const channel = new MessageChannel();
		let frameStart: number | null = null;
		let last: number | null = null;
		let start: number | null = null;

		channel.port1.onmessage = () => {
			if (frameStart == null) return;
			work.push(performance.now() - frameStart);
			frameStart = null;
		};

		const frame = (t: number): void => {
			// The marks bound the window in a trace (run.mjs reads thread CPU time there).
			if (start == null) performance.mark(MEASURE_START);
			start ??= t;
			if (last != null) intervals.push(t - last);
			last = t;
			frameStart = t;
			channel.port2.postMessage(0);
			if (t - start < durationMs) {
				requestAnimationFrame(frame);
			} else {
				performance.mark(MEASURE_END);
				// Let the last frame's message arrive before closing.
				setTimeout(() => {
					channel.port1.close();
					resolve({ intervals, work });
				}, 50);
			}
		};
		requestAnimationFrame(frame);
	});
}

export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank]!;
}

/**
 * Vsync slots that passed without a frame: an interval of two periods dropped one.
 * Rounding absorbs the ±0.1 ms jitter of Chromium's rAF timestamps, which a plain
 * `> 16.7 ms` test would count as drops.
 */
export function droppedFrames(intervals: readonly number[], period = 1000 / 60): number {
	let dropped = 0;
	for (const dt of intervals) dropped += Math.max(0, Math.round(dt / period) - 1);
	return dropped;
}

export interface FrameReport {
	frames: number;
	workP50: number;
	workP95: number;
	intervalP50: number;
	intervalP95: number;
	dropped: number;
	/** Frames that would have been drawn at 60 Hz over the run. */
	slots: number;
}

export function report(sample: FrameSample): FrameReport {
	const dropped = droppedFrames(sample.intervals);
	return {
		frames: sample.intervals.length + 1,
		workP50: percentile(sample.work, 50),
		workP95: percentile(sample.work, 95),
		intervalP50: percentile(sample.intervals, 50),
		intervalP95: percentile(sample.intervals, 95),
		dropped,
		slots: sample.intervals.length + dropped,
	};
}
