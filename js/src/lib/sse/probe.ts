/**
 * Why a stream failed to open.
 *
 * `EventSource` reports every failure as a bare `error` event: it never exposes the
 * HTTP status, so a page cannot tell "log in again" from "server restarting". After a
 * failed open the client asks the same URL once with `fetch`, which does see the
 * status, and drops the body at once.
 */

export type Failure =
	/** 401/403: the session expired or the viewer token does not cover the channel. */
	| { kind: "unauthorized"; detail: string }
	/** 400: the request itself is wrong (bad channel name); retrying cannot help. */
	| { kind: "refused"; detail: string }
	/** Anything else: the server is down, busy (429) or the stream opened fine this time. */
	| { kind: "transient"; detail: string | null; retryAfterMs: number | null };

export async function probeStream(url: string, fetchFn: typeof fetch): Promise<Failure> {
	const abort = new AbortController();
	let response: Response;
	try {
		response = await fetchFn(url, {
			credentials: "same-origin",
			headers: { Accept: "text/event-stream" },
			signal: abort.signal,
		});
	} catch {
		return { kind: "transient", detail: "server unreachable", retryAfterMs: null };
	}
	if (response.ok) {
		// The stream opened this time: the failure was a blip. Do not hold it open.
		abort.abort();
		return { kind: "transient", detail: null, retryAfterMs: null };
	}
	const detail = await errorMessage(response);
	switch (response.status) {
		case 401:
		case 403:
			return { kind: "unauthorized", detail };
		case 400:
			return { kind: "refused", detail };
		case 404:
			return {
				kind: "transient",
				detail: "sse/stream not found: is the jupyter_sse server extension enabled?",
				retryAfterMs: null,
			};
		default:
			return { kind: "transient", detail, retryAfterMs: retryAfter(response) };
	}
}

/** The server's JSON `{"error": ...}` message, or the status line. */
export async function errorMessage(response: Response): Promise<string> {
	const fallback = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
	try {
		const body: unknown = await response.json();
		if (typeof body === "object" && body !== null && "error" in body) {
			const { error } = body as { error: unknown };
			if (typeof error === "string" && error) return error;
		}
	} catch {
		// Not JSON (a proxy's HTML page): the status line says enough.
	}
	return fallback;
}

export function retryAfter(response: Response): number | null {
	const seconds = Number(response.headers.get("Retry-After"));
	return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}
