import type { EventSourceLike } from "$lib/sse";

/**
 * Stands in for the browser's EventSource: the client under test is the real
 * `SseClient`, so every event goes through its parsing, frame batching and store
 * updates exactly as in the widget; only the network is left out.
 */
export class FakeEventSource implements EventSourceLike {
	readonly url: string;
	#listeners = new Map<string, ((event: Event) => void)[]>();
	#id = 0;
	closed = false;

	constructor(url: string) {
		this.url = url;
	}

	addEventListener(type: string, listener: (event: Event) => void): void {
		const list = this.#listeners.get(type) ?? [];
		list.push(listener);
		this.#listeners.set(type, list);
	}

	close(): void {
		this.closed = true;
	}

	open(): void {
		for (const listener of this.#listeners.get("open") ?? []) listener(new Event("open"));
	}

	/** Delivers one SSE event: `event: type`, `data: JSON`, `id: n`. */
	emit(type: string, envelope: unknown): void {
		if (this.closed) return;
		const event = new MessageEvent(type, {
			data: JSON.stringify(envelope),
			lastEventId: String(++this.#id),
		});
		for (const listener of this.#listeners.get(type) ?? []) listener(event);
	}
}
