import { type Connection, SseClient, type SseClientOptions } from "$lib/sse";
import type { ChannelStore } from "./channel-store.svelte.js";
import { Feed, type Listener } from "./feed.js";
import type { FrameScheduler } from "./frame-batcher.js";

export interface LiveClientOptions extends Omit<SseClientOptions, "sink"> {
	/** When queued envelopes are applied: the next animation frame unless a test cranks them. */
	schedule?: FrameScheduler;
}

export interface Registration {
	/** One store per pattern, in the order registered. */
	readonly stores: ChannelStore[];
	/** Gives the patterns back; the last user of a pattern ends its subscription. */
	release(): void;
}

/**
 * A page's stream and the stores it fills: an `SseClient` (the wire) whose sink is a
 * `Feed` (frames, stores, listeners). What widgets and benches hold.
 */
export class LiveClient {
	readonly #sse: SseClient;
	readonly #feed: Feed;

	constructor({ schedule, ...options }: LiveClientOptions) {
		this.#feed = new Feed(schedule, () => this.connection.received(Date.now()));
		this.#sse = new SseClient({ ...options, sink: this.#feed });
	}

	get baseUrl(): string {
		return this.#sse.baseUrl;
	}

	/** The stream's state, shared by every widget of the client. */
	get connection(): Connection {
		return this.#sse.connection;
	}

	/** The last cursor received: where a new stream resumes. */
	get cursor(): string | null {
		return this.#sse.cursor;
	}

	get closed(): boolean {
		return this.#sse.closed;
	}

	/** Subscribes `patterns` and returns their stores (shared with other registrations). */
	register(patterns: readonly string[]): Registration {
		const subscription = this.#sse.subscribe(patterns);
		const stores = [...new Set(patterns)].map((pattern) => this.#feed.store(pattern));
		return { stores, release: () => subscription.release() };
	}

	/**
	 * Calls `listener` with every envelope of `type` (built-in, control or custom), in
	 * order, once per frame batch. Returns a function that removes it.
	 */
	on(type: string, listener: Listener): () => void {
		const off = this.#feed.on(type, listener);
		this.#sse.listen(type);
		return off;
	}

	/** Ends the stream at once and drops every store. */
	close(): void {
		this.#sse.close();
	}
}
