import { afterEach, describe, expect, it } from "vitest";
import { ChatApi, ChatError, xsrfToken } from "./chat-api.js";

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
	const calls: Call[] = [];
	const fn = (async (url: string, init: RequestInit) => {
		calls.push({ url, init });
		return new Response(JSON.stringify(body), { status, headers });
	}) as unknown as typeof fetch;
	return { fn, calls };
}

describe("ChatApi", () => {
	afterEach(() => {
		document.cookie = "_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
	});

	it("reads the _xsrf cookie", () => {
		expect(xsrfToken("a=1; _xsrf=2|ab%7Ccd; b=3")).toBe("2|ab|cd");
		expect(xsrfToken("a=1")).toBeNull();
	});

	it("posts JSON with the XSRF header and answers the message id", async () => {
		document.cookie = "_xsrf=tok";
		const { fn, calls } = fakeFetch(200, { id: "m1", event_id: "5" });
		const api = new ChatApi("/user/a/", fn);
		expect(await api.post("demo", "hi", "m0")).toBe("m1");
		expect(calls[0]?.url).toBe("/user/a/sse/chat");
		expect(calls[0]?.init.method).toBe("POST");
		expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
			channel: "demo",
			text: "hi",
			reply_to: "m0",
		});
		expect((calls[0]?.init.headers as Record<string, string>)["X-XSRFToken"]).toBe("tok");
	});

	it("turns a refusal into a ChatError with the server's words", async () => {
		const { fn } = fakeFetch(429, { error: "too fast", status: 429 }, { "Retry-After": "2" });
		const error = await new ChatApi("/", fn).post("demo", "hi").catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ChatError);
		expect(error).toMatchObject({ message: "too fast", status: 429, retryAfterMs: 2000 });
	});

	it("asks who the page writes as", async () => {
		const info = {
			author: { name: "viewer:1", display_name: "Guest", kind: "viewer" },
			may_chat: false,
			may_moderate: false,
			max_chars: 2000,
		};
		const { fn, calls } = fakeFetch(200, info);
		expect(await new ChatApi("/", fn).info("a/b")).toEqual(info);
		expect(calls[0]?.url).toBe("/sse/chat?channel=a%2Fb");
	});
});
