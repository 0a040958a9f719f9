/**
 * Browser notifications for `notify` events while the page is in the background: a
 * cell finished while the person reads another tab. Off until the person turns them on
 * here (a permission granted to the origin for something else does not count), and
 * raised only while `document.hidden`: in front, the page's own toasts say it.
 */
import type { Envelope } from "$lib/sse";
import type { LiveClient } from "$lib/state";

export type NotifyPermission = NotificationPermission | "unsupported";

const STORAGE_KEY = "jupyter-sse:notifications";

export class BrowserNotifications {
	permission = $state<NotifyPermission>("unsupported");
	/** The person turned them on on this page (kept across reloads). */
	enabled = $state(false);

	readonly #off: () => void;

	constructor(client: LiveClient) {
		this.permission = typeof Notification === "undefined" ? "unsupported" : Notification.permission;
		this.enabled = this.permission === "granted" && readFlag();
		this.#off = client.on("notify", (envelope) => this.#show(envelope));
	}

	get active(): boolean {
		return this.enabled && this.permission === "granted";
	}

	/** Asks the browser (a click must call this: browsers refuse prompts without one). */
	async enable(): Promise<void> {
		if (typeof Notification === "undefined") return;
		this.permission = await Notification.requestPermission();
		this.enabled = this.permission === "granted";
		writeFlag(this.enabled);
	}

	disable(): void {
		this.enabled = false;
		writeFlag(false);
	}

	dispose(): void {
		this.#off();
	}

	#show(envelope: Envelope): void {
		if (!this.active || !document.hidden) return;
		const data = envelope.data as { message?: unknown; title?: unknown };
		if (typeof data.message !== "string") return;
		const title = typeof data.title === "string" && data.title ? data.title : envelope.channel;
		try {
			new Notification(title, { body: data.message, tag: `jupyter-sse:${envelope.channel}` });
		} catch {
			// Chrome on Android allows notifications from a service worker only.
		}
	}
}

/** True when the person turned notifications on (on an earlier visit) and the browser
 * still allows them: the page then listens from the start. */
export function notificationsWanted(): boolean {
	return typeof Notification !== "undefined" && Notification.permission === "granted" && readFlag();
}

function readFlag(): boolean {
	try {
		return localStorage.getItem(STORAGE_KEY) === "on";
	} catch {
		return false;
	}
}

function writeFlag(on: boolean): void {
	try {
		localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
	} catch {
		// Storage refused (private mode): the choice lasts for this page only.
	}
}
