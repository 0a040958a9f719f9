/**
 * The wire format of `sse/stream` as TypeScript: every event's `data:` line is one
 * JSON envelope `{"channel", "type", "ts", "data"}`, and the built-in types carry the
 * shapes below (the README's "Event types" and "HTTP interface"; the server's side is
 * `jupyter_sse/wire/`). The server validates built-in types before it stores them, so
 * these shapes hold for every event that reaches a browser.
 */

export type Variant = "default" | "success" | "warning" | "error" | "info";
export type Level = "debug" | "info" | "success" | "warning" | "error";

/** The JSON object on the `data:` line of every event. `ts` is epoch seconds. */
export interface Envelope<T = unknown> {
	channel: string;
	type: string;
	ts: number;
	data: T;
}

export interface ProgressData {
	key: string;
	value: number;
	total?: number | null;
	label?: string | null;
	rate?: number | null;
	eta?: number | null;
	done?: boolean | null;
	error?: string | null;
}

export interface MetricData {
	step?: number | null;
	values: Record<string, number | null>;
}

export type StatusValue = string | number | boolean | null;

export interface StatusData {
	key: string;
	value: StatusValue;
	variant?: Variant | null;
}

export interface NotifyData {
	message: string;
	title?: string | null;
	level?: Level | null;
	/** An alert (`ch.alert`): also sent to the server's webhooks (`ALERT_FIELD` in wire/events.py). */
	alert?: boolean | null;
}

export interface TableData {
	table: string;
	row: Record<string, unknown>;
}

export interface LogData {
	text: string;
	level?: Level | null;
}

export interface ResetData {
	reason: string;
}

/** A metric point as a snapshot carries it: the event data plus its server time. */
export interface SnapshotMetric extends MetricData {
	ts: number;
}

export interface SnapshotLog extends LogData {
	ts: number;
}

/** `snapshot` data: the latest state of one channel. Empty parts are omitted. */
export interface SnapshotData {
	progress?: Record<string, ProgressData>;
	status?: Record<string, StatusData>;
	metric?: SnapshotMetric[];
	table?: Record<string, Record<string, unknown>[]>;
	log?: SnapshotLog[];
	other?: Record<string, unknown>;
}

/** Event types the stores understand; anything else goes to custom listeners. */
export const BUILTIN_TYPES = ["progress", "metric", "status", "notify", "table", "log"] as const;
export type BuiltinType = (typeof BUILTIN_TYPES)[number];

/** Parses one `data:` payload; null when it is not an envelope (never throws). */
export function parseEnvelope(text: string): Envelope | null {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return null;
	}
	if (typeof value !== "object" || value === null) return null;
	const { channel, type, ts } = value as Record<string, unknown>;
	if (typeof channel !== "string" || typeof type !== "string" || typeof ts !== "number") {
		return null;
	}
	return value as Envelope;
}
