import { ChannelStore } from "$lib/state/channel-store.svelte";
import { FrameBatcher, type FrameScheduler, nextFrame } from "./frame";
import type { Envelope } from "./types";

export type Listener = (envelope: Envelope) => void;

/**
 * Where received envelopes go: queued, then once per frame routed to the stores whose
 * pattern matches and to the listeners of their type. `SseClient` feeds it from its
 * stream.
 */
export class Feed {
  readonly #stores = new Map<string, ChannelStore>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #batcher: FrameBatcher<Envelope>;
  readonly #onApplied: (() => void) | undefined;

  /** `onApplied` runs after each batch was applied. */
  constructor(schedule: FrameScheduler = nextFrame, onApplied?: () => void) {
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

  drop(pattern: string): void {
    this.#stores.delete(pattern);
  }

  stores(): IterableIterator<ChannelStore> {
    return this.#stores.values();
  }

  listenedTypes(): IterableIterator<string> {
    return this.#listeners.keys();
  }

  /** Adds a listener; returns whether `type` is new (had no listener before) and a remover. */
  on(type: string, listener: Listener): { added: boolean; off: () => void } {
    let set = this.#listeners.get(type);
    const added = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    const listeners = set;
    return { added, off: () => listeners.delete(listener) };
  }

  /** Queues `envelope` for the next frame. */
  push(envelope: Envelope): void {
    this.#batcher.push(envelope);
  }

  /** Applies what is queued now instead of at the next frame. */
  flush(): void {
    this.#batcher.flush();
  }

  /** Drops what is queued and every store. */
  clear(): void {
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
