/**
 * The state of a page's stream, as the views show it. One instance per `SseClient`,
 * shared by every widget on the page. The client calls the transition methods; a test
 * may also set the fields by hand.
 */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed" | "unauthorized";

export class Connection {
	status = $state<ConnectionStatus>("connecting");
	/** Why the last attempt failed, in words a user can act on; null while open. */
	detail = $state<string | null>(null);
	/** Epoch ms of the next attempt while waiting to retry. */
	retryAt = $state<number | null>(null);
	/** Failed attempts since the last successful open. */
	attempt = $state(0);
	/** Epoch ms when events were last applied. */
	lastEventAt = $state<number | null>(null);

	readonly #retry: () => void;

	/** `retry` reconnects now; the default (a connection made by hand, in tests) does nothing. */
	constructor(retry: () => void = () => undefined) {
		this.#retry = retry;
	}

	/** Reconnect now instead of at `retryAt`; does nothing while open or connecting. */
	retry(): void {
		this.#retry();
	}

	connecting(): void {
		this.status = this.attempt > 0 ? "reconnecting" : "connecting";
		this.retryAt = null;
	}

	opened(): void {
		this.status = "open";
		this.detail = null;
		this.retryAt = null;
		this.attempt = 0;
	}

	failed(status: "reconnecting" | "unauthorized", detail: string | null, retryAt: number): void {
		this.status = status;
		this.detail = detail;
		this.retryAt = retryAt;
		this.attempt += 1;
	}

	closed(detail: string | null = null): void {
		this.status = "closed";
		this.detail = detail;
		this.retryAt = null;
	}

	received(now: number): void {
		this.lastEventAt = now;
	}
}
