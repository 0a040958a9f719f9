// Synthetic traffic: the mix of a training run as the Python API would publish it.
import { accAt, lossAt } from "./curves.js";

export interface Envelope {
	channel: string;
	type: string;
	ts: number;
	data: unknown;
}

const now = () => Date.now() / 1000;

/**
 * Metric points `from`..`to` (exclusive) in snapshot form, for a late viewer's history,
 * a millisecond apart and ending now at step `end` (so chunks of one history line up).
 */
export function metricHistory(from: number, to: number, end: number = to): unknown[] {
	const t0 = now() - (end - from) / 1000;
	const points = [];
	for (let step = from; step < to; step++) {
		points.push({
			ts: t0 + (step - from) / 1000,
			step,
			values: { loss: lossAt(step), acc: accAt(step) },
		});
	}
	return points;
}

export function snapshot(channel: string, data: Record<string, unknown> = {}): Envelope {
	return { channel, type: "snapshot", ts: now(), data };
}

export function metric(channel: string, step: number): Envelope {
	return {
		channel,
		type: "metric",
		ts: now(),
		data: { step, values: { loss: lossAt(step), acc: accAt(step) } },
	};
}

const PHASES = ["training", "validating", "checkpointing", "training"];
const VARIANTS = ["info", "success", "warning", "default"];
const LEVELS = ["info", "debug", "info", "warning"];

/**
 * The n-th event of the mixed workload: per 100 events, 40 metric points, 25 progress
 * updates over 4 bars, 10 status changes over 3 badges, 15 log lines, 10 table rows,
 * and a notification every 2,000 events (5 a second at 10,000 events/s).
 */
export function mixed(n: number, channels: readonly string[]): Envelope {
	const channel = channels[n % channels.length]!;
	const ts = now();
	const k = n % 100;
	const round = Math.floor(n / channels.length);
	if (n % 2000 === 1999) {
		return {
			channel,
			type: "notify",
			ts,
			data: { message: `checkpoint ${round} saved`, level: "success" },
		};
	}
	if (k < 40) {
		return {
			channel,
			type: "metric",
			ts,
			data: { step: round, values: { loss: lossAt(round), acc: accAt(round) } },
		};
	}
	if (k < 65) {
		const key = `bar-${k % 4}`;
		return {
			channel,
			type: "progress",
			ts,
			data: {
				key,
				value: round % 100000,
				total: 100000,
				label: `epoch ${k % 4}`,
				rate: 2500 + (k % 7),
			},
		};
	}
	if (k < 75) {
		return {
			channel,
			type: "status",
			ts,
			data: {
				key: `phase-${k % 3}`,
				value: k % 3 === 2 ? round : PHASES[round % 4],
				variant: VARIANTS[round % 4],
			},
		};
	}
	if (k < 90) {
		return {
			channel,
			type: "log",
			ts,
			data: { text: `step ${round}: loss ${lossAt(round).toFixed(4)}`, level: LEVELS[k % 4] },
		};
	}
	return {
		channel,
		type: "table",
		ts,
		data: {
			table: "results",
			row: { step: round, lr: 0.001 * (1 + (k % 3)), score: accAt(round), note: `run ${k}` },
		},
	};
}
