import type { EventSourceLike } from "$lib/sse";

/**
 * Stands in for the browser's EventSource: the client under test is the real
 * `LiveClient` (`SseClient` and its `Feed`), so every event goes through its parsing,
 * frame batching and store updates exactly as in the widget; only the network is left
 * out.
 */
export class FakeEventSource implements EventSourceLike {
	readonly url: string;
	#listeners = new Map<string, ((event: Event) => void)[]>();
	#id = 0;
	#pending = "";
	/** Events dispatched so far. */
	delivered = 0;
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
		this.#dispatch(type, JSON.stringify(envelope), String(++this.#id));
	}

	/**
	 * Delivers a chunk of the wire format as it came off the network, split into
	 * events here on the page's thread as the browser's own EventSource parser does.
	 * Only the fields the bench's producer writes are read (`id`, `event`, `data`).
	 */
	receive(chunk: string): void {
		const text = this.#pending + chunk;
		let at = 0;
		for (;;) {
			const end = text.indexOf("\n\n", at);
			if (end < 0) break;
			let type = "message";
			let data = "";
			let id = "";
			let line = at;
			while (line < end) {
				let stop = text.indexOf("\n", line);
				if (stop < 0 || stop > end) stop = end;
				const colon = text.indexOf(":", line);
				if (colon > line && colon < stop) {
					const field = text.slice(line, colon);
					const value = text.slice(text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1, stop);
					if (field === "data") data = data ? `${data}\n${value}` : value;
					else if (field === "event") type = value;
					else if (field === "id") id = value;
				}
				line = stop + 1;
			}
			if (id) this.#id = Number(id);
			this.#dispatch(type, data, String(this.#id));
			at = end + 2;
		}
		this.#pending = text.slice(at);
	}

	#dispatch(type: string, data: string, lastEventId: string): void {
		if (this.closed) return;
		this.delivered++;
		const event = new MessageEvent(type, { data, lastEventId });
		for (const listener of this.#listeners.get(type) ?? []) listener(event);
	}
}
