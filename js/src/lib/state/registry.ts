import { LiveClient, type LiveClientOptions, type Registration } from "./live-client.js";

export type SharedOptions = Omit<LiveClientOptions, "baseUrl" | "onIdle">;

/**
 * The page's clients, one per server base URL, so that every widget of the page shares
 * one stream (see `SseClient`). A client leaves the registry when its last widget does.
 */
export class ClientRegistry {
	readonly #clients = new Map<string, LiveClient>();
	readonly #options: SharedOptions;

	constructor(options: SharedOptions = {}) {
		this.#options = options;
	}

	/** Subscribes `patterns` on the page's client for `baseUrl`, creating it if needed. */
	register(
		baseUrl: string,
		patterns: readonly string[],
	): { client: LiveClient; registration: Registration } {
		const client = this.client(baseUrl);
		return { client, registration: client.register(patterns) };
	}

	client(baseUrl: string): LiveClient {
		let client = this.#clients.get(baseUrl);
		if (client === undefined) {
			const created = new LiveClient({
				...this.#options,
				baseUrl,
				onIdle: () => {
					if (this.#clients.get(baseUrl) === created) this.#clients.delete(baseUrl);
				},
			});
			this.#clients.set(baseUrl, created);
			client = created;
		}
		return client;
	}

	get size(): number {
		return this.#clients.size;
	}
}

/** The registry every widget of this page uses. */
export const pageClients = new ClientRegistry();
