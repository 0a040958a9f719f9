import type {
	ChatMessage,
	Level,
	LogData,
	NotifyData,
	ProgressData,
	StatusData,
	StatusValue,
	Variant,
} from "$lib/sse";

/** Where an entry came from: the real channel (not the pattern) and server time (epoch s). */
interface Origin {
	channel: string;
	ts: number;
}

export interface ProgressEntry extends Origin {
	id: string;
	key: string;
	value: number;
	total?: number;
	label?: string;
	rate?: number;
	eta?: number;
	done?: boolean;
	error?: string;
}

export interface StatusEntry extends Origin {
	id: string;
	key: string;
	value: StatusValue;
	variant: Variant;
}

export type Row = Readonly<Record<string, unknown>>;

export interface TableState {
	name: string;
	channel: string;
	/** Every column seen so far, in first-seen order. */
	columns: readonly string[];
	/** Oldest first. */
	rows: readonly Row[];
}

export interface LogEntry extends Origin {
	/** Unique within the store: a stable key for `{#each}`. */
	seq: number;
	text: string;
	level: Level;
}

export interface Toast extends Origin {
	id: number;
	message: string;
	title?: string;
	level: Level;
}

/** A chat message as a channel holds it: the server's message and its real channel.
 * `edited` (epoch s) is set once an edit was applied. */
export interface ChatEntry extends ChatMessage {
	channel: string;
}

export interface CustomEntry extends Origin {
	type: string;
	data: unknown;
}

const VARIANTS: ReadonlySet<string> = new Set(["default", "success", "warning", "error", "info"]);
const LEVELS: ReadonlySet<string> = new Set(["debug", "info", "success", "warning", "error"]);

export function progressEntry(id: string, origin: Origin, data: ProgressData): ProgressEntry {
	const entry: ProgressEntry = { ...origin, id, key: data.key, value: data.value };
	// Optional fields arrive as null from publishers that send every field; the views
	// test for presence, so null is dropped here once instead of checked everywhere.
	if (typeof data.total === "number") entry.total = data.total;
	if (typeof data.label === "string") entry.label = data.label;
	if (typeof data.rate === "number") entry.rate = data.rate;
	if (typeof data.eta === "number") entry.eta = data.eta;
	if (typeof data.done === "boolean") entry.done = data.done;
	if (typeof data.error === "string") entry.error = data.error;
	return entry;
}

export function statusEntry(id: string, origin: Origin, data: StatusData): StatusEntry {
	const variant = data.variant && VARIANTS.has(data.variant) ? data.variant : "default";
	return { ...origin, id, key: data.key, value: data.value ?? null, variant };
}

export function logEntry(seq: number, origin: Origin, data: LogData): LogEntry {
	return { ...origin, seq, text: data.text, level: level(data.level) };
}

export function toast(id: number, origin: Origin, data: NotifyData): Toast {
	const entry: Toast = { ...origin, id, message: data.message, level: level(data.level) };
	if (typeof data.title === "string") entry.title = data.title;
	return entry;
}

function level(value: string | null | undefined): Level {
	return value && LEVELS.has(value) ? (value as Level) : "info";
}

export function chatEntry(channel: string, message: ChatMessage): ChatEntry {
	// Only the known fields: a message is drawn field by field, nothing else of the data
	// reaches a view.
	const entry: ChatEntry = {
		channel,
		id: message.id,
		author: message.author,
		text: message.text,
		ts: message.ts,
	};
	if (message.reply_to !== undefined) entry.reply_to = message.reply_to;
	if (message.edited !== undefined) entry.edited = message.edited;
	return entry;
}
