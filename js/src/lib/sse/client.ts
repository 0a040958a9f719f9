import type { ChannelStore } from "$lib/state/channel-store.svelte";
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from "./backoff";
import { Connection } from "./connection.svelte";
import { Feed, type Listener } from "./feed";
import type { FrameScheduler } from "./frame";
import { type Failure, probeStream } from "./probe";
import { BUILTIN_TYPES, parseEnvelope } from "./types";

/** What the client needs of the browser's `EventSource`; tests pass a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface ClientOptions {
  /** The Jupyter server's base URL, e.g. `/` or `/user/alice/`. */
  baseUrl: string;
  createEventSource?: EventSourceFactory;
  fetch?: typeof fetch;
  schedule?: FrameScheduler;
  backoff?: BackoffOptions;
  random?: () => number;
  /** How long register/release calls are collected into one re-subscribe, in ms. */
  resubscribeDelayMs?: number;
  /** Called once when the client closed because no widget uses it any more. */
  onIdle?: () => void;
}

export interface Registration {
  /** One store per pattern, in the order registered. */
  readonly stores: ChannelStore[];
  /** Gives the patterns back; the last user of a pattern ends its subscription. */
  release(): void;
}

// Event names the stores handle; `error` is left out: it is handled with connection errors.
const STREAM_TYPES: readonly string[] = ["snapshot", "reset", ...BUILTIN_TYPES];

const defaultEventSource: EventSourceFactory = (url) => new EventSource(url);

/**
 * One stream for every widget of a page that talks to one server.
 *
 * Browsers allow six HTTP/1.1 connections per host, and each open `EventSource` holds
 * one for good: a notebook with a widget per cell would run out after six and stall
 * every other request to Jupyter. Widgets register their channels here instead; the
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

  /** How many registrations use each pattern. */
  readonly #refs = new Map<string, number>();
  readonly #feed: Feed;
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

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.#createEventSource = options.createEventSource ?? defaultEventSource;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#resubscribeDelayMs = options.resubscribeDelayMs ?? 30;
    this.#onIdle = options.onIdle;
    this.#feed = new Feed(options.schedule, () => this.connection.received(Date.now()));
  }

  /** The last cursor received: where a new stream resumes. */
  get cursor(): string | null {
    return this.#cursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  register(patterns: readonly string[]): Registration {
    if (this.#closed) throw new Error("this SseClient is closed; get a new one from the registry");
    const unique = [...new Set(patterns)];
    for (const pattern of unique) this.#refs.set(pattern, (this.#refs.get(pattern) ?? 0) + 1);
    // A store outlives a release until the re-subscribe, so a widget that is re-rendered
    // (release, then register again at once) keeps its data.
    const stores = unique.map((pattern) => this.#feed.store(pattern));
    this.#scheduleResubscribe();
    let released = false;
    return {
      stores,
      release: () => {
        if (released) return;
        released = true;
        for (const pattern of unique) this.#refs.set(pattern, (this.#refs.get(pattern) ?? 1) - 1);
        this.#scheduleResubscribe();
      },
    };
  }

  /**
   * Calls `listener` with every envelope of `type` (built-in, control or custom), in
   * order, once per frame batch. Returns a function that removes it.
   */
  on(type: string, listener: Listener): () => void {
    const { added, off } = this.#feed.on(type, listener);
    // EventSource dispatches an event only to the listeners of its name.
    if (added && this.#source !== null && listensFor(type)) this.#listen(this.#source, this.#generation, type);
    return off;
  }

  /** Ends the stream at once and drops every store. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearRetry();
    if (this.#resubscribeTimer !== null) clearTimeout(this.#resubscribeTimer);
    this.#dropSource();
    this.#feed.clear();
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
      this.#feed.drop(pattern);
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
      // A pattern may match no channel yet, so no snapshot may come to say it is loaded.
      for (const store of this.#feed.stores()) if (store.isPattern) store.markLoaded();
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
    for (const type of new Set([...STREAM_TYPES, ...this.#feed.listenedTypes()])) {
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
    // Kept at receipt, not at apply: the queued events are applied even if the stream
    // drops before the next frame, so the next stream must resume after them.
    if (event.lastEventId) this.#cursor = event.lastEventId;
    this.#feed.push(envelope);
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
    const attempt = failure.kind === "unauthorized" ? Number.POSITIVE_INFINITY : this.connection.attempt;
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
