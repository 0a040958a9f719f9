import type { Envelope, EnvelopeSink } from "$lib/sse";
import { ChannelStore } from "./channel-store.svelte.js";
import { FrameBatcher, type FrameScheduler } from "./frame-batcher.js";

export type Listener = (envelope: Envelope) => void;

/**
 * Where a client's envelopes go (its `EnvelopeSink`): queued, then once per frame (at the
 * end of their task, in a sparse stream: `soonWhenSparse`) routed to the stores whose
 * pattern matches and to the listeners of their type. It creates the stores, one per
 * pattern, and drops one when the stream no longer carries it.
 */
export class Feed implements EnvelopeSink {
	readonly #stores = new Map<string, ChannelStore>();
	readonly #listeners = new Map<string, Set<Listener>>();
	readonly #batcher: FrameBatcher<Envelope>;
	readonly #onApplied: (() => void) | undefined;

	/**
	 * `schedule`: when a batch is applied (the batcher's default, `soonWhenSparse`, when
	 * left out); `onApplied` runs after each batch was applied.
	 */
	constructor(schedule?: FrameScheduler, onApplied?: () => void) {
		this.#batcher = new FrameBatcher((batch) => this.#apply(batch), schedule);
		this.#onApplied = onApplied;
	}

	/** The store of `pattern`, created on first use. */
	store(pattern: string): ChannelStore {
		let store = this.#stores.get(pattern);
		if (store === undefined) {
			store = new ChannelStore(pattern);
			this.#stores.set(pattern, store);
		}
		return store;
	}

	/** Adds a listener of `type`; returns a function that removes it. */
	on(type: string, listener: Listener): () => void {
		let set = this.#listeners.get(type);
		if (set === undefined) {
			set = new Set();
			this.#listeners.set(type, set);
		}
		set.add(listener);
		const listeners = set;
		return () => listeners.delete(listener);
	}

	/** Queues `envelope` for the next flush. */
	receive(envelope: Envelope): void {
		this.#batcher.push(envelope);
	}

	opened(): void {
		// A pattern may match no channel yet, so no snapshot may come to say it is loaded.
		for (const store of this.#stores.values()) if (store.isPattern) store.markLoaded();
	}

	/**
	 * A store outlives its last registration until the stream drops its pattern, so a
	 * widget that is re-rendered (release, then register again at once) keeps its data.
	 */
	unsubscribed(pattern: string): void {
		this.#stores.delete(pattern);
	}

	/** Drops what is queued and every store. */
	closed(): void {
		this.#batcher.clear();
		this.#stores.clear();
	}

	#apply(batch: readonly Envelope[]): void {
		const routed = new Map<ChannelStore, Envelope[]>();
		for (const envelope of batch) {
			for (const store of this.#stores.values()) {
				if (envelope.type === "reset" || store.matches(envelope.channel)) {
					let list = routed.get(store);
					if (list === undefined) routed.set(store, (list = []));
					list.push(envelope);
				}
			}
			for (const listener of this.#listeners.get(envelope.type) ?? []) {
				try {
					listener(envelope);
				} catch (error) {
					// One broken listener must not stop the stream for every widget of the page.
					console.error(`jupyter-sse: a '${envelope.type}' listener failed`, error);
				}
			}
		}
		for (const [store, list] of routed) store.apply(list);
		this.#onApplied?.();
	}
}
