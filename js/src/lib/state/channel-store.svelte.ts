import {
	type Envelope,
	isChatDelete,
	isChatEdit,
	isChatMessage,
	isPattern,
	isPresence,
	type LogData,
	type MetricData,
	type NotifyData,
	patternMatches,
	type PresenceData,
	type ProgressData,
	type SnapshotData,
	type StatusData,
	type TableData,
} from "$lib/sse";
import {
	type ChatEntry,
	chatEntry,
	type CustomEntry,
	type LogEntry,
	type ProgressEntry,
	type Row,
	type StatusEntry,
	type TableState,
	type Toast,
	logEntry,
	progressEntry,
	statusEntry,
	toast,
} from "./entries.js";
import { MetricSeries } from "./metric-series.svelte.js";

/**
 * What the browser keeps of a live stream: its own bounds, distinct from the server's
 * snapshot bounds (`SNAPSHOT_*` in `jupyter_sse/wire/bounds.py`, what a late viewer's
 * `snapshot` carries). A viewer that stays connected holds more than a snapshot gives.
 * Metric points are bounded per channel by `MetricSeries.cap`.
 */
export const KEPT_TABLE_ROWS = 500;
export const KEPT_LOG_LINES = 1000;
export const KEPT_TOASTS = 5;
/** Chat messages kept, all channels of the store together (the server's snapshot keeps
 * `chat_snapshot_messages`, 100 by default, per channel). */
export const KEPT_CHAT_MESSAGES = 500;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableTable = Mutable<TableState> & { columns: string[]; rows: Row[] };

/**
 * The live state of one subscription (a channel, or a `prefix*` pattern) for the views.
 *
 * Collections are immutable values in `$state.raw`: `apply` builds the next value of
 * each collection it touches once per batch and assigns it once, so a frame with a
 * thousand events costs one update, and entries that did not change keep their
 * identity (keyed `{#each}` blocks skip them).
 */
export class ChannelStore {
	readonly pattern: string;
	readonly isPattern: boolean;

	loaded = $state(false);
	/** Bumps on every applied batch that changed anything. */
	revision = $state(0);
	/** Server time (epoch s) of the newest applied event. */
	lastEventAt = $state<number | null>(null);
	progress = $state.raw<Readonly<Record<string, ProgressEntry>>>({});
	status = $state.raw<Readonly<Record<string, StatusEntry>>>({});
	/** One series per real channel: a pattern store may hold several. */
	metrics = $state.raw<Readonly<Record<string, MetricSeries>>>({});
	tables = $state.raw<Readonly<Record<string, TableState>>>({});
	log = $state.raw<readonly LogEntry[]>([]);
	toasts = $state.raw<readonly Toast[]>([]);
	other = $state.raw<Readonly<Record<string, CustomEntry>>>({});
	/** Chat messages, oldest first, edits and deletes applied. */
	chat = $state.raw<readonly ChatEntry[]>([]);
	/** Who watches, by real channel (a plain store has at most its own). */
	presence = $state.raw<Readonly<Record<string, PresenceData>>>({});

	readonly #counters: Counters = { toast: 1, log: 1 };

	constructor(pattern: string) {
		this.pattern = pattern;
		this.isPattern = isPattern(pattern);
	}

	matches(channel: string): boolean {
		return patternMatches(this.pattern, channel);
	}

	dismissToast(id: number): void {
		this.toasts = this.toasts.filter((t) => t.id !== id);
	}

	/** Marks a pattern store loaded when its stream opened: no snapshot may ever come. */
	markLoaded(): void {
		this.loaded = true;
	}

	/** Applies a batch of envelopes (already routed to this store), in order. */
	apply(batch: readonly Envelope[]): void {
		const next = new NextState(this, this.#counters);
		for (const envelope of batch) next.accept(envelope);
		next.commit();
	}

	/** Key of an entry: `key`, or `channel:key` in a pattern store (several channels share it). */
	idOf(channel: string, key: string): string {
		return this.isPattern ? `${channel}:${key}` : key;
	}
}

/** Ids that stay unique for the store's lifetime, across batches. */
interface Counters {
	toast: number;
	log: number;
}

/** The copies one batch writes to; each is made on first write and assigned at commit. */
class NextState {
	readonly #store: ChannelStore;
	readonly #counters: Counters;
	#progress: Record<string, ProgressEntry> | null = null;
	#status: Record<string, StatusEntry> | null = null;
	#metrics: Record<string, MetricSeries> | null = null;
	#tables: Record<string, TableState> | null = null;
	#copiedTables = new Map<string, MutableTable>();
	#log: LogEntry[] | null = null;
	#toasts: Toast[] | null = null;
	#other: Record<string, CustomEntry> | null = null;
	#chat: ChatEntry[] | null = null;
	#presence: Record<string, PresenceData> | null = null;
	#touchedSeries = new Set<MetricSeries>();
	#loaded = false;
	#lastTs: number | null = null;

	constructor(store: ChannelStore, counters: Counters) {
		this.#store = store;
		this.#counters = counters;
	}

	accept(envelope: Envelope): void {
		const { channel, ts } = envelope;
		const origin = { channel, ts };
		const store = this.#store;
		this.#lastTs = ts;
		switch (envelope.type) {
			case "reset":
				this.#reset();
				return;
			case "snapshot":
				this.#snapshot(channel, ts, envelope.data as SnapshotData);
				return;
			case "progress": {
				const data = envelope.data as ProgressData;
				const id = store.idOf(channel, data.key);
				this.#progressW()[id] = progressEntry(id, origin, data);
				return;
			}
			case "status": {
				const data = envelope.data as StatusData;
				const id = store.idOf(channel, data.key);
				this.#statusW()[id] = statusEntry(id, origin, data);
				return;
			}
			case "metric":
				this.#series(channel).push({ ...(envelope.data as MetricData), ts });
				return;
			case "table": {
				const { table, row } = envelope.data as TableData;
				addRows(this.#table(channel, table), [row]);
				return;
			}
			case "log":
				this.#logW().push(logEntry(this.#counters.log++, origin, envelope.data as LogData));
				return;
			case "notify":
				this.#toastsW().push(toast(this.#counters.toast++, origin, envelope.data as NotifyData));
				return;
			case "chat":
			case "chat_edit":
			case "chat_delete":
			case "presence":
				this.#people(channel, envelope.type, envelope.data);
				return;
			default: {
				const id = store.idOf(channel, envelope.type);
				this.#otherW()[id] = { ...origin, type: envelope.type, data: envelope.data };
			}
		}
	}

	commit(): void {
		const store = this.#store;
		let changed = false;
		for (const series of this.#touchedSeries) changed = series.commit() || changed;
		if (this.#progress) store.progress = this.#progress;
		if (this.#status) store.status = this.#status;
		if (this.#metrics) store.metrics = this.#metrics;
		if (this.#tables) {
			for (const table of this.#copiedTables.values()) {
				if (table.rows.length > KEPT_TABLE_ROWS) table.rows = table.rows.slice(-KEPT_TABLE_ROWS);
			}
			store.tables = this.#tables;
		}
		if (this.#log)
			store.log = this.#log.length > KEPT_LOG_LINES ? this.#log.slice(-KEPT_LOG_LINES) : this.#log;
		if (this.#toasts) store.toasts = this.#toasts.slice(-KEPT_TOASTS);
		if (this.#other) store.other = this.#other;
		if (this.#chat)
			store.chat =
				this.#chat.length > KEPT_CHAT_MESSAGES ? this.#chat.slice(-KEPT_CHAT_MESSAGES) : this.#chat;
		if (this.#presence) store.presence = this.#presence;
		changed ||= [
			this.#progress,
			this.#status,
			this.#metrics,
			this.#tables,
			this.#log,
			this.#toasts,
			this.#other,
			this.#chat,
			this.#presence,
		].some((part) => part !== null);
		if (this.#loaded) store.loaded = true;
		if (this.#lastTs !== null) store.lastEventAt = this.#lastTs;
		if (changed || this.#loaded) store.revision += 1;
	}

	/** `reset`: the server lost the history the client's cursor pointed into. */
	#reset(): void {
		this.#touchedSeries.clear();
		this.#progress = {};
		this.#status = {};
		this.#metrics = {};
		this.#tables = {};
		this.#copiedTables.clear();
		this.#log = [];
		this.#other = {};
		this.#chat = [];
		this.#presence = {};
	}

	/**
	 * Chat and presence. The data is checked first (`isChatMessage`...): these types are
	 * the server's alone, so anything else is not drawn. An edit or delete of a message
	 * this store no longer holds (older than what it keeps) is dropped.
	 */
	#people(channel: string, type: string, data: unknown): void {
		if (type === "presence") {
			if (isPresence(data)) this.#presenceW()[channel] = data;
			return;
		}
		if (type === "chat") {
			if (!isChatMessage(data)) return;
			const chat = this.#chatW();
			// A resume after a snapshot may replay a message the snapshot already held.
			if (chat.some((m) => m.id === data.id && m.channel === channel)) return;
			chat.push(chatEntry(channel, data));
			return;
		}
		const at = (this.#chat ?? this.#store.chat).findIndex(
			(m) => m.channel === channel && m.id === (data as { id?: unknown } | null)?.id,
		);
		if (at < 0) return;
		const chat = this.#chatW();
		if (type === "chat_edit" && isChatEdit(data)) {
			chat[at] = { ...chat[at]!, text: data.text, edited: data.ts };
		} else if (type === "chat_delete" && isChatDelete(data)) {
			chat.splice(at, 1);
		}
	}

	/** `snapshot`: the whole state of `channel`, in place of what is held for it. */
	#snapshot(channel: string, ts: number, data: SnapshotData): void {
		const store = this.#store;
		const origin = { channel, ts };
		const own = (entry: { channel: string }): boolean => entry.channel === channel;

		const progress = dropWhere(this.#progressW(), own);
		for (const item of Object.values(data.progress ?? {})) {
			const id = store.idOf(channel, item.key);
			progress[id] = progressEntry(id, origin, item);
		}
		this.#progress = progress;

		const status = dropWhere(this.#statusW(), own);
		for (const item of Object.values(data.status ?? {})) {
			const id = store.idOf(channel, item.key);
			status[id] = statusEntry(id, origin, item);
		}
		this.#status = status;

		const tables = dropWhere(this.#tablesW(), own);
		for (const id of [...this.#copiedTables.keys()])
			if (!(id in tables)) this.#copiedTables.delete(id);
		this.#tables = tables;
		for (const [name, rows] of Object.entries(data.table ?? {}))
			addRows(this.#table(channel, name), rows);

		this.#other = dropWhere(this.#otherW(), own);
		for (const [type, value] of Object.entries(data.other ?? {})) {
			this.#other[store.idOf(channel, type)] = { ...origin, type, data: value };
		}

		if (data.metric?.length) this.#series(channel).merge(data.metric);
		this.#mergeLog(channel, data);
		this.#snapshotPeople(channel, data);
		this.#loaded = true;
	}

	/** Like metrics, lines older than the snapshot's first stay: it does not reach back that far. */
	#mergeLog(channel: string, data: SnapshotData): void {
		const lines = data.log ?? [];
		const first = lines[0];
		if (first === undefined) return;
		const kept = this.#logW().filter((line) => line.channel !== channel || line.ts < first.ts);
		const added = lines.map((line) =>
			logEntry(this.#counters.log++, { channel, ts: line.ts }, line),
		);
		const merged = kept.concat(added);
		// Lines of other channels may be newer than the snapshot's: keep the log in time order.
		if (this.#store.isPattern) merged.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
		this.#log = merged;
	}

	/** The snapshot's messages and watchers replace the channel's; the live events after
	 * it apply on top. */
	#snapshotPeople(channel: string, data: SnapshotData): void {
		const messages = (data.chat ?? []).filter(isChatMessage).map((m) => chatEntry(channel, m));
		const held = this.#chat ?? this.#store.chat;
		if (messages.length || held.some((m) => m.channel === channel)) {
			const chat = held.filter((m) => m.channel !== channel).concat(messages);
			// Messages of other channels may be newer than the snapshot's: keep post order.
			if (this.#store.isPattern) chat.sort((a, b) => a.ts - b.ts);
			this.#chat = chat;
		}
		const presence = this.#presenceW();
		if (isPresence(data.presence)) presence[channel] = data.presence;
		else delete presence[channel];
	}

	#series(channel: string): MetricSeries {
		let series = (this.#metrics ?? this.#store.metrics)[channel];
		if (series === undefined) {
			series = new MetricSeries(channel);
			this.#metricsW()[channel] = series;
		}
		this.#touchedSeries.add(series);
		return series;
	}

	#table(channel: string, name: string): MutableTable {
		const id = this.#store.idOf(channel, name);
		let table = this.#copiedTables.get(id);
		if (table === undefined) {
			const tables = this.#tablesW();
			const old = tables[id];
			table = { name, channel, columns: [...(old?.columns ?? [])], rows: [...(old?.rows ?? [])] };
			this.#copiedTables.set(id, table);
			tables[id] = table;
		}
		return table;
	}

	#progressW(): Record<string, ProgressEntry> {
		return (this.#progress ??= { ...this.#store.progress });
	}

	#statusW(): Record<string, StatusEntry> {
		return (this.#status ??= { ...this.#store.status });
	}

	#metricsW(): Record<string, MetricSeries> {
		return (this.#metrics ??= { ...this.#store.metrics });
	}

	#tablesW(): Record<string, TableState> {
		return (this.#tables ??= { ...this.#store.tables });
	}

	#logW(): LogEntry[] {
		return (this.#log ??= [...this.#store.log]);
	}

	#toastsW(): Toast[] {
		return (this.#toasts ??= [...this.#store.toasts]);
	}

	#chatW(): ChatEntry[] {
		return (this.#chat ??= [...this.#store.chat]);
	}

	#presenceW(): Record<string, PresenceData> {
		return (this.#presence ??= { ...this.#store.presence });
	}

	#otherW(): Record<string, CustomEntry> {
		return (this.#other ??= { ...this.#store.other });
	}
}

function addRows(table: MutableTable, rows: readonly Row[]): void {
	for (const row of rows) {
		for (const column of Object.keys(row))
			if (!table.columns.includes(column)) table.columns.push(column);
		table.rows.push(row);
	}
}

function dropWhere<T>(
	record: Record<string, T>,
	predicate: (value: T) => boolean,
): Record<string, T> {
	const out: Record<string, T> = {};
	for (const [key, value] of Object.entries(record)) if (!predicate(value)) out[key] = value;
	return out;
}
