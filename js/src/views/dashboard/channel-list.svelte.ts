/**
 * The server's channel listing (`GET sse/channels`), polled while the page is open, so
 * the picker shows new channels and live subscriber counts.
 */
import type { ChannelInfo } from "./selection.js";

export const CHANNEL_POLL_MS = 5000;

export interface ChannelListOptions {
	baseUrl: string;
	fetch?: typeof fetch;
	intervalMs?: number;
}

export class ChannelList {
	/** The last listing received, in the server's order. */
	rows = $state.raw<readonly ChannelInfo[]>([]);
	/** False until the first answer (or failure): the picker shows skeletons. */
	loaded = $state(false);
	/** Why the last refresh failed; null after a successful one. */
	error = $state<string | null>(null);
	/** HTTP status of the last failed refresh (401/403: the login or link is no longer valid). */
	errorStatus = $state<number | null>(null);

	readonly #url: string;
	readonly #fetch: typeof fetch;
	readonly #intervalMs: number;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#running = false;
	#inFlight: AbortController | null = null;

	constructor({ baseUrl, fetch: fetchFn, intervalMs = CHANNEL_POLL_MS }: ChannelListOptions) {
		this.#url = `${baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`}sse/channels`;
		this.#fetch = fetchFn ?? ((input, init) => fetch(input, init));
		this.#intervalMs = intervalMs;
	}

	/** Loads now, then every `intervalMs` until `stop()`. */
	start(): void {
		if (this.#running) return;
		this.#running = true;
		void this.refresh();
	}

	stop(): void {
		this.#running = false;
		if (this.#timer !== null) clearTimeout(this.#timer);
		this.#timer = null;
		this.#inFlight?.abort();
		this.#inFlight = null;
	}

	/** Loads the listing now; the next periodic refresh is counted from here. */
	async refresh(): Promise<void> {
		if (this.#timer !== null) clearTimeout(this.#timer);
		this.#timer = null;
		this.#inFlight?.abort();
		const abort = new AbortController();
		this.#inFlight = abort;
		try {
			const response = await this.#fetch(this.#url, {
				credentials: "same-origin",
				headers: { Accept: "application/json" },
				signal: abort.signal,
			});
			if (!response.ok) {
				this.#failed(await errorMessage(response), response.status);
			} else {
				this.rows = parseRows(await response.json());
				this.error = null;
				this.errorStatus = null;
			}
		} catch (error) {
			if (abort.signal.aborted) return; // replaced by a newer refresh, or stopped
			this.#failed(
				error instanceof SyntaxError ? "sse/channels did not answer JSON" : "server unreachable",
				null,
			);
		} finally {
			if (this.#inFlight === abort) this.#inFlight = null;
		}
		this.loaded = true;
		// Polled with a timeout after each answer rather than an interval: a slow server
		// never has two listings in flight from this page.
		if (this.#running) this.#timer = setTimeout(() => void this.refresh(), this.#intervalMs);
	}

	#failed(detail: string, status: number | null): void {
		// The rows of the last good listing stay: a blip should not empty the picker.
		this.error = detail;
		this.errorStatus = status;
	}
}

export function parseRows(body: unknown): ChannelInfo[] {
	if (!Array.isArray(body)) return [];
	const rows: ChannelInfo[] = [];
	for (const item of body) {
		if (typeof item !== "object" || item === null) continue;
		const { channel, subscribers, events, last_event } = item as Record<string, unknown>;
		if (typeof channel !== "string") continue;
		rows.push({
			channel,
			subscribers: typeof subscribers === "number" ? subscribers : 0,
			events: typeof events === "number" ? events : 0,
			last_event: typeof last_event === "number" ? last_event : null,
		});
	}
	return rows;
}

async function errorMessage(response: Response): Promise<string> {
	try {
		const body: unknown = await response.json();
		if (
			typeof body === "object" &&
			body !== null &&
			"error" in body &&
			typeof body.error === "string"
		) {
			return body.error;
		}
	} catch {
		// Not JSON: a proxy's error page.
	}
	return `HTTP ${response.status}`;
}
