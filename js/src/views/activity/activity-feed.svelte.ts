/**
 * What the Activity view shows, gathered for the page's whole life (not only while the
 * view is open): kernel lifecycle statuses and the notices of `jupyter/activity`, as
 * a feed, newest first. Busy and idle are left out of the feed (a notebook flips them
 * with every cell); they show as each kernel's current state.
 */
import {
	ACTIVITY_CHANNEL,
	type Envelope,
	type KernelStatusData,
	type Level,
	type SnapshotData,
} from "$lib/sse";
import type { ChannelStore, ClientRegistry, LiveClient, Registration } from "$lib/state";

/** Feed items kept (older ones fall off). */
export const KEPT_ACTIVITY_ITEMS = 200;

export type ActivityItem =
	| { kind: "notice"; seq: number; ts: number; title?: string; message: string; level: Level }
	| {
			kind: "kernel";
			seq: number;
			ts: number;
			kernel: string;
			state: string;
			path: string | null;
			kernelName: string | null;
	  };

/** A kernel as the feed knows it now. */
export interface KernelNow {
	id: string;
	state: string;
	path: string | null;
	kernelName: string | null;
}

const FEED_STATES: ReadonlySet<string> = new Set(["starting", "restarting", "dead"]);
const LEVELS: ReadonlySet<string> = new Set(["debug", "info", "success", "warning", "error"]);

export class ActivityFeed {
	/** Newest first, at most `KEPT_ACTIVITY_ITEMS`. */
	items = $state.raw<readonly ActivityItem[]>([]);
	/** Every kernel the server reports, by id, with its state now. */
	kernels = $state.raw<Readonly<Record<string, KernelNow>>>({});
	readonly client: LiveClient;
	/** The channel's store (loaded once the first snapshot came). */
	readonly store: ChannelStore;

	readonly #registration: Registration;
	readonly #off: (() => void)[];
	#seq = 0;

	constructor(registry: ClientRegistry, baseUrl: string) {
		const { client, registration } = registry.register(baseUrl, [ACTIVITY_CHANNEL]);
		this.client = client;
		this.#registration = registration;
		this.store = registration.stores[0]!;
		this.#off = [
			client.on("notify", (e) => this.#notice(e)),
			client.on("status", (e) => this.#status(e)),
			client.on("snapshot", (e) => this.#snapshot(e)),
		];
	}

	dispose(): void {
		for (const off of this.#off) off();
		this.#registration.release();
	}

	#notice(envelope: Envelope): void {
		if (envelope.channel !== ACTIVITY_CHANNEL) return;
		const data = envelope.data as { message?: unknown; title?: unknown; level?: unknown };
		if (typeof data.message !== "string") return;
		const level =
			typeof data.level === "string" && LEVELS.has(data.level) ? (data.level as Level) : "info";
		const item: ActivityItem = {
			kind: "notice",
			seq: this.#seq++,
			ts: envelope.ts,
			message: data.message,
			level,
		};
		if (typeof data.title === "string") item.title = data.title;
		this.#push(item);
	}

	/** The snapshot (on connect, after a reset): the kernels now, in place of the old. */
	#snapshot(envelope: Envelope): void {
		if (envelope.channel !== ACTIVITY_CHANNEL) return;
		const kernels: Record<string, KernelNow> = {};
		for (const data of Object.values((envelope.data as SnapshotData).status ?? {})) {
			const kernel = kernelNow(data);
			if (kernel) kernels[kernel.id] = kernel;
		}
		this.kernels = kernels;
	}

	#status(envelope: Envelope): void {
		if (envelope.channel !== ACTIVITY_CHANNEL) return;
		const kernel = kernelNow(envelope.data);
		if (kernel === null) return;
		this.kernels = { ...this.kernels, [kernel.id]: kernel };
		if (!FEED_STATES.has(kernel.state)) return;
		this.#push({
			kind: "kernel",
			seq: this.#seq++,
			ts: envelope.ts,
			kernel: kernel.id,
			state: kernel.state,
			path: kernel.path,
			kernelName: kernel.kernelName,
		});
	}

	#push(item: ActivityItem): void {
		this.items = [item, ...this.items].slice(0, KEPT_ACTIVITY_ITEMS);
	}
}

function kernelNow(value: unknown): KernelNow | null {
	const data = (value ?? {}) as Partial<KernelStatusData>;
	if (typeof data.key !== "string" || typeof data.value !== "string") return null;
	return {
		id: data.key,
		state: data.value,
		path: typeof data.path === "string" ? data.path : null,
		kernelName: typeof data.kernel_name === "string" ? data.kernel_name : null,
	};
}
