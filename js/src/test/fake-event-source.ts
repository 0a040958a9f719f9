import type { Envelope, EventSourceLike } from "$lib/sse";

/**
 * A stand-in for the browser's `EventSource`, which node does not have: the tests
 * drive it by hand (open, deliver, fail) and read back what the client asked of it.
 */
export class FakeEventSource implements EventSourceLike {
	readonly url: URL;
	closed = false;
	readonly #listeners = new Map<string, ((event: Event) => void)[]>();

	constructor(url: string) {
		this.url = new URL(url, "http://127.0.0.1/");
	}

	get channels(): string[] {
		return this.url.searchParams.getAll("channel");
	}

	get cursor(): string | null {
		return this.url.searchParams.get("last_event_id");
	}

	addEventListener(type: string, listener: (event: Event) => void): void {
		this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
	}

	close(): void {
		this.closed = true;
	}

	listens(type: string): number {
		return this.#listeners.get(type)?.length ?? 0;
	}

	open(): void {
		this.#dispatch(new Event("open"));
	}

	/** One SSE event as the server writes it: `event:` = type, `data:` = envelope, `id:`. */
	send(envelope: Envelope, id?: string): void {
		const init: MessageEventInit<string> = { data: JSON.stringify(envelope) };
		if (id !== undefined) init.lastEventId = id;
		this.#dispatch(new MessageEvent(envelope.type, init));
	}

	/** An event whose `data:` is `data` as it is, envelope or not. */
	sendRaw(type: string, data: string): void {
		this.#dispatch(new MessageEvent(type, { data }));
	}

	/** A connection failure (not a server `event: error`). */
	fail(): void {
		this.#dispatch(new Event("error"));
	}

	#dispatch(event: Event): void {
		for (const listener of this.#listeners.get(event.type) ?? []) listener(event);
	}
}

/** A hand-cranked frame scheduler: nothing is applied until `run()`. */
export class ManualFrames {
	#pending: (() => void)[] = [];
	scheduled = 0;

	readonly schedule = (flush: () => void): (() => void) => {
		this.scheduled += 1;
		this.#pending.push(flush);
		return () => {
			this.#pending = this.#pending.filter((f) => f !== flush);
		};
	};

	get pending(): number {
		return this.#pending.length;
	}

	run(): void {
		const due = this.#pending;
		this.#pending = [];
		for (const flush of due) flush();
	}
}

export function envelope<T>(channel: string, type: string, data: T, ts = 1000): Envelope<T> {
	return { channel, type, ts, data };
}
