/**
 * One page's side of a channel's chat: who it writes as (asked once of `sse/chat`),
 * what it may do, its pending writes and their refusals, and how many messages came
 * since the person last looked. The messages themselves live in the `ChannelStore`.
 */
import { formatCount } from "$lib/format.js";
import { m } from "$lib/i18n";
import { type Author, type ChatApi, ChatError, type ChatInfo, isPattern } from "$lib/sse";
import type { ChannelStore } from "./channel-store.svelte.js";
import type { ChatEntry } from "./entries.js";

/** Two authors are one person when kind and name agree (labels may repeat). */
export function samePerson(a: Author, b: Author): boolean {
	return a.kind === b.kind && a.name === b.name;
}

export class ChatSession {
	readonly store: ChannelStore;
	/** The channel written to; null for a pattern store (a message needs one channel). */
	readonly channel: string | null;

	info = $state.raw<ChatInfo | null>(null);
	/** Why `info` could not be had (the server's words). */
	infoError = $state<string | null>(null);
	/** The last refused write, until the next one succeeds or it is dismissed. */
	error = $state<string | null>(null);
	sending = $state(false);
	/** Server time of the newest message the person has seen; null until the chat loaded. */
	lastRead = $state<number | null>(null);

	/** Messages of others newer than `lastRead`. */
	readonly unread = $derived.by(() => {
		const seen = this.lastRead;
		if (seen === null) return 0;
		const me = this.info?.author;
		return this.store.chat.filter((m) => m.ts > seen && !(me && samePerson(m.author, me))).length;
	});

	readonly #api: ChatApi;
	#loading: Promise<void> | null = null;

	constructor(store: ChannelStore, api: ChatApi) {
		this.store = store;
		this.channel = isPattern(store.pattern) ? null : store.pattern;
		this.#api = api;
	}

	/** Why the composer is off, in words; null when the page may write. */
	get disabledReason(): string | null {
		if (this.channel === null) return m.chat_need_channel();
		if (this.infoError !== null) return m.chat_unavailable({ error: this.infoError });
		if (this.info === null) return m.loading();
		if (this.info.may_chat) return null;
		if (this.channel.startsWith("jupyter/")) return m.chat_server_only();
		return m.chat_read_only();
	}

	/** Asks once who the page writes as; a refusal is kept in `infoError`. */
	load(): Promise<void> {
		return (this.#loading ??= this.#load());
	}

	async #load(): Promise<void> {
		if (this.channel === null) return;
		try {
			this.info = await this.#api.info(this.channel);
			this.infoError = null;
		} catch (error) {
			this.infoError = describe(error);
		}
	}

	isMine(message: ChatEntry): boolean {
		const me = this.info?.author;
		return me !== undefined && samePerson(message.author, me);
	}

	mayEdit(message: ChatEntry): boolean {
		return this.info?.may_chat === true && this.isMine(message);
	}

	mayDelete(message: ChatEntry): boolean {
		return this.mayEdit(message) || this.info?.may_moderate === true;
	}

	/** Everything up to the newest message counts as read. */
	markRead(): void {
		const newest = this.store.chat.at(-1)?.ts ?? 0;
		if (this.lastRead === null || newest > this.lastRead) this.lastRead = newest;
	}

	/** Posts `text`; true when the server took it (the message comes back on the stream). */
	send(text: string, replyTo?: string): Promise<boolean> {
		const channel = this.channel;
		if (channel === null) return Promise.resolve(false);
		return this.#write(() => this.#api.post(channel, text, replyTo));
	}

	edit(id: string, text: string): Promise<boolean> {
		const channel = this.channel;
		if (channel === null) return Promise.resolve(false);
		return this.#write(() => this.#api.edit(channel, id, text));
	}

	remove(id: string): Promise<boolean> {
		const channel = this.channel;
		if (channel === null) return Promise.resolve(false);
		return this.#write(() => this.#api.remove(channel, id));
	}

	async #write(call: () => Promise<string>): Promise<boolean> {
		this.sending = true;
		try {
			await call();
			this.error = null;
			return true;
		} catch (error) {
			this.error = describe(error);
			return false;
		} finally {
			this.sending = false;
		}
	}
}

function describe(error: unknown): string {
	if (error instanceof ChatError) {
		if (!error.retryAfterMs) return error.message;
		const seconds = formatCount(Math.ceil(error.retryAfterMs / 1000));
		return m.chat_try_again({ message: error.message, seconds });
	}
	return error instanceof Error ? error.message : String(error);
}
