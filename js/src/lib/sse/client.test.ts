// The wire client on its own, with a sink that records what it is handed: no store, no
// frame. The same client under the page's stores is tested in lib/state/registry.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { envelope, FakeEventSource } from "../../test/fake-event-source.js";
import { SseClient, type SseClientOptions } from "./client.js";
import type { EnvelopeSink } from "./sink.js";
import type { Envelope } from "./types.js";

const DEBOUNCE_MS = 10;

class RecordingSink implements EnvelopeSink {
	readonly received: Envelope[] = [];
	readonly calls: string[] = [];

	receive(envelope: Envelope): void {
		this.received.push(envelope);
	}

	opened(): void {
		this.calls.push("opened");
	}

	unsubscribed(pattern: string): void {
		this.calls.push(`unsubscribed ${pattern}`);
	}

	closed(): void {
		this.calls.push("closed");
	}
}

function setup(options: Partial<SseClientOptions> = {}) {
	const sink = new RecordingSink();
	const sources: FakeEventSource[] = [];
	const onIdle = vi.fn();
	const client = new SseClient({
		baseUrl: "/base",
		sink,
		createEventSource: (url) => {
			const source = new FakeEventSource(url);
			sources.push(source);
			return source;
		},
		fetch: vi.fn<typeof fetch>(async () => new Response("", { status: 200 })),
		random: () => 0.5,
		resubscribeDelayMs: DEBOUNCE_MS,
		onIdle,
		...options,
	});
	const last = (): FakeEventSource => {
		const source = sources.at(-1);
		if (!source) throw new Error("no EventSource was opened");
		return source;
	};
	return { client, sink, sources, last, onIdle };
}

beforeEach(() => {
	vi.useFakeTimers();
});

afterEach(() => {
	vi.useRealTimers();
});

describe("SseClient", () => {
	it("hands every envelope to its sink at once, in stream order, and keeps the cursor", async () => {
		const { client, sink, last } = setup();
		client.subscribe(["demo", "train/*"]);
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		expect(last().url.pathname).toBe("/base/sse/stream");
		expect(last().channels).toEqual(["demo", "train/*"]);

		last().open();
		last().send(envelope("demo", "snapshot", {}), "e-1");
		last().send(envelope("train/a", "metric", { values: { loss: 1 } }), "e-2");
		last().send(envelope("*", "reset", { reason: "lost" }));
		expect(sink.calls).toEqual(["opened"]);
		expect(sink.received.map((e) => `${e.channel} ${e.type}`)).toEqual([
			"demo snapshot",
			"train/a metric",
			"* reset",
		]);
		expect(client.cursor).toBe("e-2");
	});

	it("drops what is not an envelope", async () => {
		const { client, sink, last } = setup();
		client.subscribe(["demo"]);
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		for (const data of ["not json", "[]", '{"channel": "demo"}']) {
			last().sendRaw("log", data);
		}
		expect(sink.received).toEqual([]);
	});

	it("listens for a custom type once, on the open stream and on the next ones", async () => {
		const { client, sink, sources, last } = setup();
		client.subscribe(["demo"]);
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		expect(last().listens("weights")).toBe(0);
		client.listen("weights");
		client.listen("weights");
		expect(last().listens("weights")).toBe(1);
		last().send(envelope("demo", "weights", { norm: 2 }), "e-1");
		expect(sink.received).toHaveLength(1);

		client.subscribe(["other"]);
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		expect(sources).toHaveLength(2);
		expect(last().listens("weights")).toBe(1);
	});

	it("tells the sink when a pattern leaves the stream, and when the client closes", async () => {
		const { client, sink, last, onIdle } = setup();
		const a = client.subscribe(["a"]);
		const b = client.subscribe(["b"]);
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		a.release();
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		expect(sink.calls).toEqual(["unsubscribed a"]);
		expect(last().channels).toEqual(["b"]);

		b.release();
		await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
		expect(sink.calls).toEqual(["unsubscribed a", "unsubscribed b", "closed"]);
		expect(last().closed).toBe(true);
		expect(client.closed).toBe(true);
		expect(client.connection.status).toBe("closed");
		expect(onIdle).toHaveBeenCalledOnce();
		expect(() => client.subscribe(["a"])).toThrow(/closed/);
	});
});
