/**
 * The page's selected channels and their stores. Each channel has its own registration
 * on the page's shared client, so adding a channel keeps the data of the others, and
 * removing one ends only its own subscription.
 */
import type { ChannelStore, ClientRegistry, LiveClient, Registration } from "$lib/state";
import { toggle } from "./selection.js";

export class Subscriptions {
	/** Selected channels and patterns, in the order picked. */
	selected = $state.raw<readonly string[]>([]);
	/** One store per selected name, same order. */
	stores = $state.raw<readonly ChannelStore[]>([]);
	/** The client streaming them; null while nothing is selected. */
	client = $state.raw<LiveClient | null>(null);

	readonly #registry: ClientRegistry;
	readonly #baseUrl: string;
	readonly #registrations = new Map<string, Registration>();

	constructor(registry: ClientRegistry, baseUrl: string, initial: readonly string[] = []) {
		this.#registry = registry;
		this.#baseUrl = baseUrl;
		this.set(initial);
	}

	/** Shows exactly `names`, in that order. */
	set(names: readonly string[]): void {
		const next = [...new Set(names)];
		for (const [name, registration] of this.#registrations) {
			if (next.includes(name)) continue;
			registration.release();
			this.#registrations.delete(name);
		}
		for (const name of next) {
			if (this.#registrations.has(name)) continue;
			// The registry hands out a new client once the previous one closed (when the
			// selection was empty), so the client is looked up again on every addition.
			const { client, registration } = this.#registry.register(this.#baseUrl, [name]);
			this.#registrations.set(name, registration);
			this.client = client;
		}
		if (next.length === 0) this.client = null;
		this.selected = next;
		this.stores = next.flatMap((name) => this.#registrations.get(name)?.stores ?? []);
	}

	toggle(name: string): void {
		this.set(toggle(this.selected, name));
	}

	/** Ends every subscription of the page. */
	dispose(): void {
		for (const registration of this.#registrations.values()) registration.release();
		this.#registrations.clear();
		this.selected = [];
		this.stores = [];
		this.client = null;
	}
}
