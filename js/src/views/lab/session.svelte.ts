/**
 * What the JupyterLab extension holds for one page and server: the live outputs'
 * subscriptions on the page's shared client (`pageClients`: one stream however many
 * outputs), the connection's state and event rate for the status bar, `notify` events
 * handed to JupyterLab once each, and the channel directory of the Live panel.
 *
 * - One listener per client and type, never one per output: a `notify` shown by three
 *   outputs reaches JupyterLab once.
 * - The panel and the "every channel" notification setting hold a `*` subscription on
 *   the same client: pushed like everything else, no polling.
 */
import type { Envelope, NotifyData, PresenceData } from "$lib/sse";
import { patternMatches } from "$lib/sse";
import { type ClientRegistry, type LiveClient, pageClients, type Registration } from "$lib/state";

/** The status-bar words for the connection (`Connection.status` folded for people). */
export type LiveState = "live" | "reconnecting" | "offline" | "refused";

/** A `notify` event as JupyterLab is handed it. */
export interface Notice {
	channel: string;
	message: string;
	title: string | null;
	level: "debug" | "info" | "success" | "warning" | "error";
}

/** One row of the Live panel. */
export interface ChannelRow {
	channel: string;
	/** Streams on this server that carry it (from `sse/channels`); null until listed. */
	subscribers: number | null;
	/** People watching it (presence), when the server said. */
	watchers: number | null;
	/** Server time (epoch seconds) of its last event. */
	lastEvent: number | null;
}

export interface LabSessionOptions {
	baseUrl: string;
	/** GETs a path under the base URL with the page's credentials and returns its JSON. */
	getJson: (path: string) => Promise<unknown>;
	notify: (notice: Notice) => void;
	/** Where the clients come from: the page's registry unless a test brings its own. */
	registry?: ClientRegistry;
}

// Types whose events count toward the rate and mark a channel active.
const ACTIVITY_TYPES = ["progress", "metric", "status", "notify", "table", "log", "chat"];
const RATE_WINDOW_S = 5;
// Ids of notify events already handed over, so a resume that replays one shows it once.
const SEEN_NOTICES = 256;
// A burst of new channels (a kernel creating twenty) costs one listing, not twenty.
const LIST_DEBOUNCE_MS = 300;
// The panel lists at most this many channels, newest activity first.
export const MAX_PANEL_CHANNELS = 500;

export class LabSession {
	/** The page's client while anything here holds a subscription; null otherwise. */
	client = $state.raw<LiveClient | null>(null);
	/** Events a second over the last few seconds. */
	rate = $state(0);
	/** The Live panel's rows, most recent activity first. */
	channels = $state.raw<readonly ChannelRow[]>([]);
	/** Why listing the channels failed; null when it worked. */
	listError = $state<string | null>(null);

	readonly baseUrl: string;
	readonly #options: LabSessionOptions;
	readonly #shown = new Map<string, number>();
	readonly #listened = new WeakSet<LiveClient>();
	readonly #rows = new Map<string, ChannelRow>();
	readonly #seen: string[] = [];
	#holds = 0;
	#notifyAll: Registration | null = null;
	#panelHolds = 0;
	#panel: Registration | null = null;
	#counts: number[] = [];
	#current = 0;
	#ticker: ReturnType<typeof setInterval> | null = null;
	#listTimer: ReturnType<typeof setTimeout> | null = null;
	#commitQueued = false;

	constructor(options: LabSessionOptions) {
		this.#options = options;
		this.baseUrl = options.baseUrl;
	}

	/** The status-bar state. */
	get state(): LiveState {
		const connection = this.client?.connection;
		if (!connection) return "offline";
		switch (connection.status) {
			case "open":
				return "live";
			case "connecting":
			case "reconnecting":
				return "reconnecting";
			case "unauthorized":
				return "refused";
			case "closed":
				return connection.detail ? "refused" : "offline";
		}
	}

	/** Why the stream is not live, in the server's words, when it said. */
	get detail(): string | null {
		return this.client?.connection.detail ?? null;
	}

	/** Subscribes an output's `patterns`; `release` of the result gives them back. */
	show(patterns: readonly string[]): Registration {
		const registration = this.#register(patterns);
		for (const pattern of patterns) this.#shown.set(pattern, (this.#shown.get(pattern) ?? 0) + 1);
		return {
			stores: registration.stores,
			release: () => {
				for (const pattern of patterns) {
					const left = (this.#shown.get(pattern) ?? 1) - 1;
					if (left > 0) this.#shown.set(pattern, left);
					else this.#shown.delete(pattern);
				}
				registration.release();
				this.#released();
			},
		};
	}

	/** Notifications of every channel of the user (the setting), not only those shown. */
	set notifyAll(on: boolean) {
		if (on && this.#notifyAll === null) this.#notifyAll = this.#register(["*"]);
		else if (!on && this.#notifyAll !== null) {
			this.#notifyAll.release();
			this.#notifyAll = null;
			this.#released();
		}
	}

	get notifyAll(): boolean {
		return this.#notifyAll !== null;
	}

	/** Keeps the panel's directory live until the returned function is called. */
	watchChannels(): () => void {
		this.#panelHolds += 1;
		if (this.#panel === null) this.#panel = this.#register(["*"]);
		this.refreshChannels();
		let done = false;
		return () => {
			if (done) return;
			done = true;
			this.#panelHolds -= 1;
			if (this.#panelHolds === 0 && this.#panel !== null) {
				this.#panel.release();
				this.#panel = null;
				this.#released();
			}
		};
	}

	/** Lists the channels now (`GET sse/channels`): their subscriber counts and last events. */
	refreshChannels(): void {
		if (this.#listTimer !== null) clearTimeout(this.#listTimer);
		this.#listTimer = setTimeout(() => {
			this.#listTimer = null;
			void this.#list();
		}, LIST_DEBOUNCE_MS);
	}

	#register(patterns: readonly string[]): Registration {
		const registry = this.#options.registry ?? pageClients;
		const { client, registration } = registry.register(this.baseUrl, patterns);
		this.#holds += 1;
		this.#attach(client);
		return registration;
	}

	#released(): void {
		this.#holds -= 1;
		if (this.#holds > 0) return;
		this.client = null;
		if (this.#ticker !== null) clearInterval(this.#ticker);
		this.#ticker = null;
		this.rate = 0;
		this.#counts = [];
		this.#current = 0;
	}

	#attach(client: LiveClient): void {
		this.client = client;
		this.#ticker ??= setInterval(() => this.#tick(), 1000);
		if (this.#listened.has(client)) return;
		this.#listened.add(client);
		for (const type of ACTIVITY_TYPES) client.on(type, (envelope) => this.#activity(envelope));
		client.on("notify", (envelope) => this.#notice(envelope as Envelope<NotifyData>));
		client.on("snapshot", (envelope) => this.#seenChannel(envelope.channel, envelope.ts));
		client.on("presence", (envelope) => this.#presence(envelope as Envelope<PresenceData>));
	}

	#activity(envelope: Envelope): void {
		this.#current += 1;
		this.#seenChannel(envelope.channel, envelope.ts);
	}

	#tick(): void {
		this.#counts.push(this.#current);
		this.#current = 0;
		if (this.#counts.length > RATE_WINDOW_S) this.#counts.shift();
		const total = this.#counts.reduce((sum, count) => sum + count, 0);
		this.rate = total / this.#counts.length;
	}

	#notice(envelope: Envelope<NotifyData>): void {
		const { channel, data } = envelope;
		const shown = [...this.#shown.keys()].some((pattern) => patternMatches(pattern, channel));
		if (!shown && !this.notifyAll) return;
		// The envelope carries no id; channel, time and text tell a replayed one apart.
		const key = `${channel}\u0000${envelope.ts}\u0000${data.message}`;
		if (this.#seen.includes(key)) return;
		this.#seen.push(key);
		if (this.#seen.length > SEEN_NOTICES) this.#seen.shift();
		this.#options.notify({
			channel,
			message: data.message,
			title: data.title ?? null,
			level: data.level ?? "info",
		});
	}

	#seenChannel(channel: string, ts: number): void {
		if (this.#panel === null) return;
		const row = this.#rows.get(channel);
		if (row === undefined) {
			this.#rows.set(channel, { channel, subscribers: null, watchers: null, lastEvent: ts });
			this.refreshChannels();
		} else if (ts > (row.lastEvent ?? 0)) {
			this.#rows.set(channel, { ...row, lastEvent: ts });
		} else return;
		this.#queueCommit();
	}

	#presence(envelope: Envelope<PresenceData>): void {
		const row = this.#rows.get(envelope.channel);
		if (row === undefined || this.#panel === null) return;
		this.#rows.set(envelope.channel, { ...row, watchers: envelope.data.count });
		this.#queueCommit();
	}

	async #list(): Promise<void> {
		let listed: unknown;
		try {
			listed = await this.#options.getJson("sse/channels");
		} catch (error) {
			this.listError = error instanceof Error ? error.message : String(error);
			return;
		}
		this.listError = null;
		if (!Array.isArray(listed)) return;
		for (const item of listed as Record<string, unknown>[]) {
			const channel = item.channel;
			if (typeof channel !== "string") continue;
			const row = this.#rows.get(channel);
			const last = typeof item.last_event === "number" ? item.last_event : null;
			const watchers = typeof item.watchers === "number" ? item.watchers : null;
			this.#rows.set(channel, {
				channel,
				subscribers: typeof item.subscribers === "number" ? item.subscribers : null,
				watchers: watchers ?? row?.watchers ?? null,
				lastEvent: Math.max(last ?? 0, row?.lastEvent ?? 0) || null,
			});
		}
		this.#queueCommit();
	}

	// Listeners run once per envelope; the panel redraws once per batch of them.
	#queueCommit(): void {
		if (this.#commitQueued) return;
		this.#commitQueued = true;
		queueMicrotask(() => {
			this.#commitQueued = false;
			const rows = [...this.#rows.values()].sort(
				(a, b) => (b.lastEvent ?? 0) - (a.lastEvent ?? 0) || a.channel.localeCompare(b.channel),
			);
			if (rows.length > MAX_PANEL_CHANNELS) {
				for (const row of rows.slice(MAX_PANEL_CHANNELS)) this.#rows.delete(row.channel);
			}
			this.channels = rows.slice(0, MAX_PANEL_CHANNELS);
		});
	}
}
