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

/** Who wrote an event, as the server stamped it from the caller's identity (never as a
 * client said): a Jupyter user, a viewer link by its label, or a kernel (its owner). */
export type AuthorKind = "user" | "viewer" | "kernel";

export interface Author {
	/** Who it is (a user name, `viewer:<id>` for a link): stable, never shown as is. */
	name: string;
	/** What people see. */
	display_name: string;
	kind: AuthorKind;
	avatar?: string;
	color?: string;
}

/** `chat` data, and a message as a snapshot keeps it. `text` is plain text exactly as
 * typed: show it in a text node, never as HTML. `ts` is when the server took it;
 * `edited` (in snapshots) when it was last edited. Both epoch seconds. */
export interface ChatMessage {
	id: string;
	author: Author;
	text: string;
	ts: number;
	reply_to?: string;
	edited?: number;
}

/** `chat_edit` data: message `id` now reads `text` (`author` edited it at `ts`). */
export interface ChatEditData {
	id: string;
	text: string;
	author: Author;
	ts: number;
}

/** `chat_delete` data: `author` (the message's own, or a moderator) removed `id`. */
export interface ChatDeleteData {
	id: string;
	author: Author;
	ts: number;
}

/** Someone watching a channel now; `since` (epoch seconds) when they started. */
export interface Watcher {
	name: string;
	display_name: string;
	kind: "user" | "viewer";
	since: number;
	avatar?: string;
	color?: string;
}

/** `presence` data, and a snapshot's `presence`: who watches, longest first (at most
 * the server's `presence_max_watchers`), and how many in all. A `presence` event has no
 * id: it never moves the cursor, and a reconnect is told who watches afresh. */
export interface PresenceData {
	watchers: Watcher[];
	count: number;
}

/** `snapshot` data: the latest state of one channel. Empty parts are omitted; `chat` is
 * the last messages with edits and deletes applied, `presence` who watches now. */
export interface SnapshotData {
	progress?: Record<string, ProgressData>;
	status?: Record<string, StatusData>;
	metric?: SnapshotMetric[];
	table?: Record<string, Record<string, unknown>[]>;
	log?: SnapshotLog[];
	other?: Record<string, unknown>;
	chat?: ChatMessage[];
	presence?: PresenceData;
}

/** Event types the stores understand; anything else goes to custom listeners. */
export const BUILTIN_TYPES = ["progress", "metric", "status", "notify", "table", "log"] as const;
export type BuiltinType = (typeof BUILTIN_TYPES)[number];

/** Types only the server writes (`SERVER_TYPES` in jupyter_sse/wire/names.py). */
export const SERVER_TYPES = ["chat", "chat_edit", "chat_delete", "presence"] as const;
export type ServerType = (typeof SERVER_TYPES)[number];

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

// --- chat and presence data, checked ----------------------------------------------------
// The server sends these shapes only (jupyter_sse/wire/events.py); the checks keep a view
// from drawing anything else. tests/wire/chat_cases.json pins both sides to one set of
// cases.

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
	typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string";
const isTime = (value: unknown): value is number =>
	typeof value === "number" && Number.isFinite(value);
const optional = (value: unknown, check: (v: unknown) => boolean): boolean =>
	value === undefined || check(value);

/** True for an `Author` as the server stamps it. */
export function isAuthor(value: unknown): value is Author {
	return (
		isObject(value) &&
		isText(value.name) &&
		isText(value.display_name) &&
		(value.kind === "user" || value.kind === "viewer" || value.kind === "kernel") &&
		optional(value.avatar, isText) &&
		optional(value.color, isText)
	);
}

/** True for `chat` data (or a snapshot's message). */
export function isChatMessage(value: unknown): value is ChatMessage {
	return (
		isObject(value) &&
		isText(value.id) &&
		isAuthor(value.author) &&
		isText(value.text) &&
		isTime(value.ts) &&
		optional(value.reply_to, isText) &&
		optional(value.edited, isTime)
	);
}

/** True for `chat_edit` data. */
export function isChatEdit(value: unknown): value is ChatEditData {
	return (
		isObject(value) &&
		isText(value.id) &&
		isText(value.text) &&
		isAuthor(value.author) &&
		isTime(value.ts)
	);
}

/** True for `chat_delete` data. */
export function isChatDelete(value: unknown): value is ChatDeleteData {
	return isObject(value) && isText(value.id) && isAuthor(value.author) && isTime(value.ts);
}

function isWatcher(value: unknown): value is Watcher {
	return (
		isAuthor(value) &&
		(value.kind === "user" || value.kind === "viewer") &&
		isTime((value as unknown as Fields).since)
	);
}

/** True for `presence` data (or a snapshot's `presence`). */
export function isPresence(value: unknown): value is PresenceData {
	return (
		isObject(value) &&
		Array.isArray(value.watchers) &&
		value.watchers.every(isWatcher) &&
		typeof value.count === "number" &&
		Number.isInteger(value.count) &&
		value.count >= value.watchers.length
	);
}
