import { describe, expect, it, vi } from "vitest";
import { probeStream } from "./probe.js";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
	vi.fn<typeof fetch>(async () => new Response(JSON.stringify(body), { status, headers }));

describe("probeStream", () => {
	it("reports 401 and 403 as unauthorized with the server's message", async () => {
		for (const status of [401, 403]) {
			const failure = await probeStream(
				"/sse/stream?channel=a",
				answer(status, { error: "log in", status }),
			);
			expect(failure).toEqual({ kind: "unauthorized", detail: "log in" });
		}
	});

	it("reports 400 as refused: retrying a bad request cannot help", async () => {
		const failure = await probeStream("/x", answer(400, { error: "invalid channel 'a b'" }));
		expect(failure).toEqual({ kind: "refused", detail: "invalid channel 'a b'" });
	});

	it("passes Retry-After of a 429 on", async () => {
		const failure = await probeStream("/x", answer(429, { error: "busy" }, { "Retry-After": "7" }));
		expect(failure).toEqual({ kind: "transient", detail: "busy", retryAfterMs: 7000 });
	});

	it("names the missing extension on 404", async () => {
		const failure = await probeStream("/x", answer(404, "<html>"));
		expect(failure.kind).toBe("transient");
		expect(failure.detail).toContain("server extension");
	});

	it("treats an unreachable server as transient", async () => {
		const failure = await probeStream(
			"/x",
			vi.fn<typeof fetch>(async () => Promise.reject(new TypeError("down"))),
		);
		expect(failure).toEqual({
			kind: "transient",
			detail: "server unreachable",
			retryAfterMs: null,
		});
	});

	it("aborts a stream that opens fine and sends cookies with it", async () => {
		let signal: AbortSignal | undefined;
		const fetchFn = vi.fn<typeof fetch>(async (_url, init) => {
			signal = init?.signal ?? undefined;
			expect(init?.credentials).toBe("same-origin");
			return new Response("retry: 2000\n\n", { status: 200 });
		});
		const failure = await probeStream("/x", fetchFn);
		expect(failure).toEqual({ kind: "transient", detail: null, retryAfterMs: null });
		expect(signal?.aborted).toBe(true);
	});
});
