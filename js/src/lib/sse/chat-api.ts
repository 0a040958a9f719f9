/**
 * `sse/chat` over HTTP: who the page writes as on a channel, and posting, editing and
 * deleting messages (js/CONTRACT.md, "Chat and presence"). The messages themselves
 * come back on the stream like any other event.
 *
 * A Jupyter user's page is authenticated by its cookie, so every write carries the
 * `X-XSRFToken` header that jupyter_server checks, copied from its `_xsrf` cookie. A
 * viewer's page sends its link's cookie; the header is harmless there.
 */
import { errorMessage, retryAfter } from "./probe.js";
import { type Author, isAuthor } from "./types.js";

/** `GET sse/chat?channel=C`: who the page writes as there and what it may do. */
export interface ChatInfo {
	author: Author;
	/** False for a viewer link without `comment`, and on the server's `jupyter/` channels. */
	may_chat: boolean;
	/** May delete others' messages (a Jupyter user). */
	may_moderate: boolean;
	max_chars: number;
}

/** A refusal of the server, its JSON `error` as it is (to show to the person). */
export class ChatError extends Error {
	readonly status: number;
	/** From `Retry-After` on a 429, in ms. */
	readonly retryAfterMs: number | null;

	constructor(message: string, status: number, retryAfterMs: number | null = null) {
		super(message);
		this.name = "ChatError";
		this.status = status;
		this.retryAfterMs = retryAfterMs;
	}
}

/** The value of the `_xsrf` cookie, or null. */
export function xsrfToken(cookie: string = globalThis.document?.cookie ?? ""): string | null {
	for (const part of cookie.split(";")) {
		const [name, ...value] = part.trim().split("=");
		if (name === "_xsrf") return decodeURIComponent(value.join("="));
	}
	return null;
}

export class ChatApi {
	readonly #url: string;
	readonly #fetch: typeof fetch;

	/** `baseUrl` is the Jupyter server's, ending in `/`. */
	constructor(baseUrl: string, fetchFn: typeof fetch = (input, init) => fetch(input, init)) {
		this.#url = `${baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`}sse/chat`;
		this.#fetch = fetchFn;
	}

	async info(channel: string): Promise<ChatInfo> {
		const body = await this.#call("GET", null, `?${new URLSearchParams({ channel })}`);
		if (!isChatInfo(body)) throw new ChatError("unexpected answer from sse/chat", 502);
		return body;
	}

	/** Posts a message; it arrives on the stream as a `chat` event. */
	async post(channel: string, text: string, replyTo?: string): Promise<string> {
		const body: Record<string, string> = { channel, text };
		if (replyTo !== undefined) body.reply_to = replyTo;
		return messageId(await this.#call("POST", body));
	}

	async edit(channel: string, id: string, text: string): Promise<string> {
		return messageId(await this.#call("PATCH", { channel, id, text }));
	}

	async remove(channel: string, id: string): Promise<string> {
		return messageId(await this.#call("DELETE", { channel, id }));
	}

	async #call(method: string, body: object | null, query = ""): Promise<unknown> {
		const headers: Record<string, string> = { Accept: "application/json" };
		if (body !== null) headers["Content-Type"] = "application/json";
		const xsrf = xsrfToken();
		if (xsrf !== null) headers["X-XSRFToken"] = xsrf;
		let response: Response;
		try {
			response = await this.#fetch(this.#url + query, {
				method,
				headers,
				credentials: "same-origin",
				body: body === null ? null : JSON.stringify(body),
			});
		} catch {
			throw new ChatError("server unreachable", 0);
		}
		if (!response.ok) {
			throw new ChatError(
				await errorMessage(response),
				response.status,
				response.status === 429 ? retryAfter(response) : null,
			);
		}
		return response.json();
	}
}

function isChatInfo(value: unknown): value is ChatInfo {
	if (typeof value !== "object" || value === null) return false;
	const info = value as Record<string, unknown>;
	return (
		isAuthor(info.author) &&
		typeof info.may_chat === "boolean" &&
		typeof info.may_moderate === "boolean" &&
		typeof info.max_chars === "number"
	);
}

function messageId(value: unknown): string {
	const id = (value as { id?: unknown } | null)?.id;
	if (typeof id !== "string") throw new ChatError("unexpected answer from sse/chat", 502);
	return id;
}
