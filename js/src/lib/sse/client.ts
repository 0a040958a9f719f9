/**
 * The wire client: one `EventSource` for every widget of a page that talks to one
 * server, with its own reconnecting. It hands each envelope to an `EnvelopeSink` and
 * knows nothing of what becomes of it (stores, frames: `$lib/state`).
 */
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from "./backoff.js";
import { Connection } from "./connection.svelte.js";
import { type Failure, probeStream } from "./probe.js";
import type { EnvelopeSink } from "./sink.js";
import { BUILTIN_TYPES, parseEnvelope, SERVER_TYPES } from "./types.js";

/** What the client needs of the browser's `EventSource`; tests pass a fake. */
export interface EventSourceLike {
	addEventListener(type: string, listener: (event: Event) => void): void;
	close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface SseClientOptions {
	/** The Jupyter server's base URL, e.g. `/` or `/user/alice/`. */
	baseUrl: string;
	/** Receives every envelope of the stream. */
	sink: EnvelopeSink;
	createEventSource?: EventSourceFactory;
	fetch?: typeof fetch;
	backoff?: BackoffOptions;
	random?: () => number;
	/** How long subscribe/release calls are collected into one re-subscribe, in ms. */
	resubscribeDelayMs?: number;
	/** Called once when the client closed because no subscription uses it any more. */
	onIdle?: () => void;
}

export interface Subscription {
	/** Gives the patterns back; the last user of a pattern ends its subscription. */
	release(): void;
}

// Event names the stream carries for every client (chat and presence included: every
// channel card shows them); `error` is left out: it is handled with connection errors.
const STREAM_TYPES: readonly string[] = ["snapshot", "reset", ...BUILTIN_TYPES, ...SERVER_TYPES];

const defaultEventSource: EventSourceFactory = (url) => new EventSource(url);

/**
 * One stream for every widget of a page that talks to one server.
 *
 * Browsers allow six HTTP/1.1 connections per host, and each open `EventSource` holds
 * one for good: a notebook with a widget per cell would run out after six and stall
 * every other request to Jupyter. Widgets subscribe their channels here instead; the
 * client keeps one stream open for the union of them and reconnects when it changes.
 *
 * It does its own reconnecting rather than relying on `EventSource`'s: the native
 * retry has a fixed delay (every page would hammer a restarting server in step), it
 * gives up for good on any HTTP error status, and it cannot tell a login problem from
 * an outage. Here every error closes the source and opens a new one after a jittered,
 * capped exponential backoff, resuming from the last cursor.
 */
export class SseClient {
	readonly baseUrl: string;
	readonly connection = new Connection(() => this.#retryNow());

	/** How many subscriptions use each pattern. */
	readonly #refs = new Map<string, number>();
	/** Event names listened for on top of `STREAM_TYPES` (custom types, see `listen`). */
	readonly #types = new Set<string>();
	readonly #sink: EnvelopeSink;
	readonly #createEventSource: EventSourceFactory;
	readonly #fetch: typeof fetch;
	readonly #backoff: BackoffOptions;
	readonly #random: () => number;
	readonly #resubscribeDelayMs: number;
	readonly #onIdle: (() => void) | undefined;

	#source: EventSourceLike | null = null;
	/** Patterns of the current stream (or of the one being retried). */
	#streaming: readonly string[] = [];
	#cursor: string | null = null;
	/** Bumped whenever a stream is replaced or dropped, so late callbacks of an old one do nothing. */
	#generation = 0;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#resubscribeTimer: ReturnType<typeof setTimeout> | null = null;
	#closed = false;

	constructor(options: SseClientOptions) {
		this.baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
		this.#sink = options.sink;
		this.#createEventSource = options.createEventSource ?? defaultEventSource;
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
		this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
		this.#random = options.random ?? Math.random;
		this.#resubscribeDelayMs = options.resubscribeDelayMs ?? 30;
		this.#onIdle = options.onIdle;
	}

	/** The last cursor received: where a new stream resumes. */
	get cursor(): string | null {
		return this.#cursor;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** Adds `patterns` to the stream, shortly (several calls in a row make one re-subscribe). */
	subscribe(patterns: readonly string[]): Subscription {
		if (this.#closed) throw new Error("this SseClient is closed; make a new one");
		const unique = [...new Set(patterns)];
		for (const pattern of unique) this.#refs.set(pattern, (this.#refs.get(pattern) ?? 0) + 1);
		this.#scheduleResubscribe();
		let released = false;
		return {
			release: () => {
				if (released) return;
				released = true;
				for (const pattern of unique) this.#refs.set(pattern, (this.#refs.get(pattern) ?? 1) - 1);
				this.#scheduleResubscribe();
			},
		};
	}

	/**
	 * Asks the stream for events named `type` too (a custom type): `EventSource`
	 * dispatches an event only to the listeners of its name. Built-in and control types
	 * always come.
	 */
	listen(type: string): void {
		if (this.#types.has(type)) return;
		this.#types.add(type);
		if (this.#source !== null && listensFor(type)) {
			this.#listen(this.#source, this.#generation, type);
		}
	}

	/** Ends the stream at once; the sink is told. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#clearRetry();
		if (this.#resubscribeTimer !== null) clearTimeout(this.#resubscribeTimer);
		this.#dropSource();
		this.#sink.closed();
		this.#refs.clear();
		this.connection.closed();
		this.#onIdle?.();
	}

	#scheduleResubscribe(): void {
		// Widgets of a notebook render one after another in the same moment; collecting
		// them avoids opening, and at once re-opening, a stream per widget.
		if (this.#resubscribeTimer !== null) clearTimeout(this.#resubscribeTimer);
		this.#resubscribeTimer = setTimeout(() => {
			this.#resubscribeTimer = null;
			this.#resubscribe();
		}, this.#resubscribeDelayMs);
	}

	#resubscribe(): void {
		for (const [pattern, refs] of this.#refs) {
			if (refs > 0) continue;
			this.#refs.delete(pattern);
			this.#sink.unsubscribed(pattern);
		}
		const wanted = [...this.#refs.keys()].sort();
		if (wanted.length === 0) {
			this.close();
			return;
		}
		const added = wanted.some((pattern) => !this.#streaming.includes(pattern));
		const unchanged = !added && wanted.length === this.#streaming.length;
		if (unchanged && (this.#source !== null || this.#retryTimer !== null)) return;
		// A new channel needs its snapshot, and the server sends snapshots only to a stream
		// opened without a cursor; the channels already shown get theirs again and merge
		// them (see MetricSeries.merge). A stream that only lost channels resumes.
		if (added) this.#cursor = null;
		this.#streaming = wanted;
		this.#open();
	}

	/** The view's Retry button: skip the wait, unless a stream is already up or opening. */
	#retryNow(): void {
		if (this.#closed || this.#source !== null || this.#streaming.length === 0) return;
		this.#open();
	}

	#open(): void {
		this.#clearRetry();
		this.#dropSource();
		const generation = this.#generation;
		const url = this.#streamUrl();
		const source = this.#createEventSource(url);
		this.#source = source;
		this.connection.connecting();
		let opened = false;
		source.addEventListener("open", () => {
			if (generation !== this.#generation) return;
			opened = true;
			this.connection.opened();
			this.#sink.opened();
		});
		source.addEventListener("error", (event) => {
			if (generation !== this.#generation) return;
			if (event instanceof MessageEvent) {
				// An `event: error` sent by the server, not a failure of the connection.
				this.#receive(event);
				return;
			}
			this.#dropSource();
			if (opened) this.#retry({ kind: "transient", detail: "connection lost", retryAfterMs: null });
			else void this.#diagnose(url);
		});
		for (const type of new Set([...STREAM_TYPES, ...this.#types])) {
			if (listensFor(type)) this.#listen(source, generation, type);
		}
	}

	#listen(source: EventSourceLike, generation: number, type: string): void {
		source.addEventListener(type, (event) => {
			if (generation === this.#generation && event instanceof MessageEvent) this.#receive(event);
		});
	}

	#receive(event: MessageEvent): void {
		if (typeof event.data !== "string") return;
		const envelope = parseEnvelope(event.data);
		if (envelope === null) return;
		// Kept at receipt, not when the sink applies it: what was received is applied even
		// if the stream drops before then, so the next stream must resume after it.
		if (event.lastEventId) this.#cursor = event.lastEventId;
		this.#sink.receive(envelope);
	}

	async #diagnose(url: string): Promise<void> {
		const generation = this.#generation;
		const failure = await probeStream(url, this.#fetch);
		// A re-subscribe, retry or close while the probe ran has made its answer moot.
		if (generation !== this.#generation || this.#closed) return;
		this.#retry(failure);
	}

	#retry(failure: Failure): void {
		if (failure.kind === "refused") {
			this.connection.closed(failure.detail);
			return;
		}
		// A lost login comes back at a person's pace: retry at the slowest rate.
		const attempt =
			failure.kind === "unauthorized" ? Number.POSITIVE_INFINITY : this.connection.attempt;
		const retryAfter = failure.kind === "transient" ? (failure.retryAfterMs ?? 0) : 0;
		const delay = Math.max(backoffDelay(attempt, this.#backoff, this.#random), retryAfter);
		const status = failure.kind === "unauthorized" ? "unauthorized" : "reconnecting";
		this.connection.failed(status, failure.detail, Date.now() + delay);
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			this.#open();
		}, delay);
	}

	#streamUrl(): string {
		const query = new URLSearchParams();
		for (const pattern of this.#streaming) query.append("channel", pattern);
		if (this.#cursor !== null) query.set("last_event_id", this.#cursor);
		return `${this.baseUrl}sse/stream?${query}`;
	}

	#dropSource(): void {
		this.#generation += 1;
		this.#source?.close();
		this.#source = null;
	}

	#clearRetry(): void {
		if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
		this.#retryTimer = null;
	}
}

/** Names to add an EventSource listener for (`open`/`error` are the connection's own). */
function listensFor(type: string): boolean {
	return type !== "error" && type !== "open";
}
