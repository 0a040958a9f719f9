import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChannelList, parseRows } from "./channel-list.svelte.js";

const json = (body: unknown, status = 200): Response =>
	new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
	vi.useFakeTimers();
});

afterEach(() => {
	vi.useRealTimers();
});

describe("ChannelList", () => {
	it("loads sse/channels under the base URL and polls it", async () => {
		const fetchFn = vi.fn<typeof fetch>(async () =>
			json([{ channel: "a", subscribers: 2, events: 5, last_event: 1.5 }]),
		);
		const list = new ChannelList({ baseUrl: "/hub/user/alice/", fetch: fetchFn, intervalMs: 1000 });
		list.start();
		await vi.advanceTimersByTimeAsync(0);
		expect(fetchFn).toHaveBeenCalledTimes(1);
		expect(fetchFn.mock.calls[0]?.[0]).toBe("/hub/user/alice/sse/channels");
		expect(list.loaded).toBe(true);
		expect(list.rows).toEqual([{ channel: "a", subscribers: 2, events: 5, last_event: 1.5 }]);
		await vi.advanceTimersByTimeAsync(1000);
		expect(fetchFn).toHaveBeenCalledTimes(2);
		list.stop();
		await vi.advanceTimersByTimeAsync(5000);
		expect(fetchFn).toHaveBeenCalledTimes(2);
	});

	it("keeps the last rows and reports the status when a refresh is refused", async () => {
		const answers = [
			json([{ channel: "a", subscribers: 0, events: 1, last_event: null }]),
			json({ error: "viewer token refused: token expired", status: 403 }, 403),
		];
		const list = new ChannelList({
			baseUrl: "/",
			fetch: async () => answers.shift()!,
			intervalMs: 1000,
		});
		list.start();
		await vi.advanceTimersByTimeAsync(1000);
		expect(list.rows.map((r) => r.channel)).toEqual(["a"]);
		expect(list.error).toBe("viewer token refused: token expired");
		expect(list.errorStatus).toBe(403);
		list.stop();
	});

	it("tells a network failure apart", async () => {
		const list = new ChannelList({
			baseUrl: "/",
			fetch: async () => {
				throw new TypeError("Failed to fetch");
			},
		});
		await list.refresh();
		expect(list.loaded).toBe(true);
		expect(list.error).toBe("server unreachable");
		expect(list.errorStatus).toBeNull();
	});
});

describe("parseRows", () => {
	it("keeps well-formed rows and defaults missing numbers", () => {
		expect(parseRows([{ channel: "a" }, { nope: 1 }, null, "x"])).toEqual([
			{ channel: "a", subscribers: 0, events: 0, last_event: null },
		]);
		expect(parseRows({ error: "x" })).toEqual([]);
	});
});
