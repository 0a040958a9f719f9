import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { envelope, FakeEventSource, ManualFrames } from "../../test/fake-event-source.js";
import { ChannelStore } from "./channel-store.svelte.js";
import type { LiveClientOptions } from "./live-client.js";
import { ClientRegistry } from "./registry.js";

const DEBOUNCE_MS = 10;

/** A registry wired to fakes: every EventSource it opens, a frame crank, a probe answer. */
function setup(options: Partial<Omit<LiveClientOptions, "baseUrl">> = {}) {
	const sources: FakeEventSource[] = [];
	const frames = new ManualFrames();
	const probe = vi.fn<typeof fetch>(async () => new Response("", { status: 200 }));
	const registry = new ClientRegistry({
		createEventSource: (url) => {
			const source = new FakeEventSource(url);
			sources.push(source);
			return source;
		},
		fetch: probe,
		schedule: frames.schedule,
		random: () => 0.5,
		backoff: { baseMs: 1000, capMs: 8000 },
		resubscribeDelayMs: DEBOUNCE_MS,
		...options,
	});
	const last = (): FakeEventSource => {
		const source = sources.at(-1);
		if (!source) throw new Error("no EventSource was opened");
		return source;
	};
	const open = (): FakeEventSource => sources.filter((s) => !s.closed).at(0) ?? last();
	return { registry, sources, frames, probe, last, open };
}

/** Lets a pending probe (a promise) settle, then the retry timer it armed fire. */
async function settle(ms = 0): Promise<void> {
	await vi.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
	vi.useFakeTimers();
});

afterEach(() => {
	vi.useRealTimers();
});

describe("one stream per page", () => {
	it("opens one EventSource for many widgets, on the union of their channels", async () => {
		const { registry, sources } = setup();
		const a = registry.register("/base/", ["demo"]);
		const b = registry.register("/base/", ["train/*", "demo"]);
		const c = registry.register("/base/", ["other"]);
		await settle(DEBOUNCE_MS);

		expect(sources).toHaveLength(1);
		expect(sources[0]?.url.pathname).toBe("/base/sse/stream");
		expect(sources[0]?.channels).toEqual(["demo", "other", "train/*"]);
		expect(a.client).toBe(b.client);
		expect(b.client).toBe(c.client);
		// Two widgets of one channel share its store: the second sees the first's data at once.
		expect(a.registration.stores[0]).toBe(b.registration.stores[1]);
		expect(registry.size).toBe(1);
	});

	it("keeps one client per server base URL", async () => {
		const { registry, sources } = setup();
		registry.register("/a/", ["x"]);
		registry.register("/b/", ["x"]);
		await settle(DEBOUNCE_MS);
		expect(sources.map((s) => s.url.pathname).sort()).toEqual(["/a/sse/stream", "/b/sse/stream"]);
	});

	it("closes the EventSource when the last widget leaves", async () => {
		const { registry, last } = setup();
		const a = registry.register("/", ["demo"]);
		const b = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		a.registration.release();
		await settle(DEBOUNCE_MS);
		expect(last().closed).toBe(false);

		b.registration.release();
		b.registration.release(); // twice is harmless
		await settle(DEBOUNCE_MS);
		expect(last().closed).toBe(true);
		expect(b.client.connection.status).toBe("closed");
		expect(registry.size).toBe(0);
	});

	it("resumes by cursor, without the channel, when a widget leaves", async () => {
		const { registry, sources, last } = setup();
		const keep = registry.register("/", ["a"]);
		const leave = registry.register("/", ["b"]);
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("a", "log", { text: "x" }), "e-7");
		leave.registration.release();
		await settle(DEBOUNCE_MS);

		expect(sources).toHaveLength(2);
		expect(sources[0]?.closed).toBe(true);
		expect(last().channels).toEqual(["a"]);
		expect(last().cursor).toBe("e-7");
		expect(keep.registration.stores[0]?.pattern).toBe("a");
	});

	it("opens without a cursor when a channel is added, so the new one gets its snapshot", async () => {
		const { registry, last } = setup();
		registry.register("/", ["a"]);
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("a", "log", { text: "x" }), "e-3");
		registry.register("/", ["b"]);
		await settle(DEBOUNCE_MS);
		expect(last().channels).toEqual(["a", "b"]);
		expect(last().cursor).toBeNull();
	});

	it("keeps a re-rendered widget's data (release and register in the same moment)", async () => {
		const { registry, last, frames } = setup();
		const first = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("demo", "status", { key: "phase", value: "train" }), "e-1");
		frames.run();
		first.registration.release();
		const again = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		expect(again.registration.stores[0]).toBe(first.registration.stores[0]);
		expect(again.registration.stores[0]?.status.phase?.value).toBe("train");
	});
});

describe("reconnecting", () => {
	it("reopens with ?last_event_id=<cursor> after a drop, after a backoff delay", async () => {
		const { registry, sources, last } = setup();
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().open();
		expect(client.connection.status).toBe("open");
		last().send(envelope("demo", "log", { text: "1" }), "e-1");
		last().send(envelope("demo", "log", { text: "2" }), "e-2");
		last().fail();

		expect(sources[0]?.closed).toBe(true);
		expect(client.connection.status).toBe("reconnecting");
		// random() = 0.5 puts the first delay at 3/4 of the base.
		await settle(749);
		expect(sources).toHaveLength(1);
		await settle(1);
		expect(sources).toHaveLength(2);
		expect(last().cursor).toBe("e-2");
		expect(last().channels).toEqual(["demo"]);
	});

	it("backs off exponentially while opening keeps failing, up to the cap", async () => {
		const { registry, sources, last } = setup();
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		const delays: number[] = [];
		for (let i = 0; i < 6; i++) {
			last().fail();
			await settle(); // the probe
			const retryAt = client.connection.retryAt;
			if (retryAt === null) throw new Error("no retry scheduled");
			delays.push(retryAt - Date.now());
			await settle(retryAt - Date.now());
		}
		expect(delays).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
		expect(sources).toHaveLength(7);
		expect(client.connection.attempt).toBe(6);
		last().open();
		expect(client.connection.attempt).toBe(0);
	});

	it("says unauthorized on 401 and retries only at the slowest rate", async () => {
		const probe = vi.fn<typeof fetch>(
			async () =>
				new Response(JSON.stringify({ error: "authentication required", status: 401 }), {
					status: 401,
				}),
		);
		const { registry, last } = setup({ fetch: probe });
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().fail();
		await settle();
		expect(probe).toHaveBeenCalledWith(last().url.pathname + last().url.search, expect.anything());
		expect(client.connection.status).toBe("unauthorized");
		expect(client.connection.detail).toBe("authentication required");
		expect(client.connection.retryAt).toBe(Date.now() + 6000);
	});

	it("gives up on a 400: the channel name is wrong, retrying cannot help", async () => {
		const probe = vi.fn<typeof fetch>(
			async () => new Response(JSON.stringify({ error: "invalid channel" }), { status: 400 }),
		);
		const { registry, sources, last } = setup({ fetch: probe });
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().fail();
		await settle(60_000);
		expect(client.connection.status).toBe("closed");
		expect(client.connection.detail).toBe("invalid channel");
		expect(sources).toHaveLength(1);
	});

	it("honours Retry-After when the server is busy", async () => {
		const probe = vi.fn<typeof fetch>(
			async () => new Response("{}", { status: 429, headers: { "Retry-After": "5" } }),
		);
		const { registry, last } = setup({ fetch: probe });
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().fail();
		await settle();
		expect(client.connection.retryAt).toBe(Date.now() + 5000);
	});

	it("retries at once on connection.retry(), and not while a stream is up", async () => {
		const { registry, sources, last } = setup();
		const { client } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		client.connection.retry();
		expect(sources).toHaveLength(1);
		last().fail();
		await settle();
		client.connection.retry();
		expect(sources).toHaveLength(2);
		expect(client.connection.retryAt).toBeNull();
	});

	it("ignores a late event of a stream it has replaced", async () => {
		const { registry, sources, frames } = setup();
		const { registration } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		const old = sources[0];
		old?.open();
		old?.fail();
		await settle(750);
		old?.send(envelope("demo", "status", { key: "k", value: "stale" }), "e-9");
		frames.run();
		expect(registration.stores[0]?.status).toEqual({});
	});

	it("does not take the server's `event: error` for a broken connection", async () => {
		const { registry, sources, last, frames } = setup();
		const { client } = registry.register("/", ["demo"]);
		const seen = vi.fn();
		client.on("error", seen);
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("demo", "error", { message: "slow client" }), "e-1");
		frames.run();
		expect(sources).toHaveLength(1);
		expect(client.connection.status).toBe("open");
		expect(seen).toHaveBeenCalledOnce();
	});
});

describe("state", () => {
	it("applies a snapshot in place of the channel's state", async () => {
		const { registry, last, frames } = setup();
		const { registration } = registry.register("/", ["demo"]);
		const [store] = registration.stores;
		await settle(DEBOUNCE_MS);
		last().open();
		expect(store?.loaded).toBe(false);
		last().send(envelope("demo", "progress", { key: "old", value: 1 }), "e-1");
		last().send(
			envelope("demo", "snapshot", {
				progress: { epoch: { key: "epoch", value: 3, total: 10 } },
				status: { phase: { key: "phase", value: "eval", variant: "info" } },
			}),
			"e-2",
		);
		frames.run();
		expect(store?.loaded).toBe(true);
		expect(Object.keys(store?.progress ?? {})).toEqual(["epoch"]);
		expect(store?.status.phase?.variant).toBe("info");
	});

	it("drops all state on reset and takes the snapshots that follow", async () => {
		const { registry, last, frames } = setup();
		const { registration } = registry.register("/", ["a", "b"]);
		const [a, b] = registration.stores;
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("a", "metric", { step: 1, values: { loss: 1 } }), "e-1");
		last().send(envelope("a", "log", { text: "hello" }), "e-2");
		last().send(envelope("b", "status", { key: "s", value: "x" }), "e-3");
		last().send(envelope("a", "notify", { message: "kept: toasts are not state" }), "e-4");
		frames.run();
		expect(a?.metrics.a?.length).toBe(1);

		last().send(envelope("*", "reset", { reason: "the server restarted" }));
		last().send(envelope("a", "snapshot", { progress: { p: { key: "p", value: 5 } } }), "n-1");
		frames.run();
		expect(a?.metrics).toEqual({});
		expect(a?.log).toEqual([]);
		expect(b?.status).toEqual({});
		expect(a?.progress.p?.value).toBe(5);
		expect(a?.toasts).toHaveLength(1);
	});

	it("routes a channel's events to every pattern that covers it", async () => {
		const { registry, last, frames } = setup();
		const { registration } = registry.register("/", ["train/*", "train/a", "eval"]);
		const [pattern, exact, other] = registration.stores;
		await settle(DEBOUNCE_MS);
		last().open();
		expect(pattern?.loaded).toBe(true); // a pattern may never get a snapshot
		expect(exact?.loaded).toBe(false);
		last().send(envelope("train/a", "progress", { key: "epoch", value: 1 }), "e-1");
		frames.run();
		expect(pattern?.progress["train/a:epoch"]?.value).toBe(1);
		expect(exact?.progress.epoch?.value).toBe(1);
		expect(other?.progress).toEqual({});
	});

	it("delivers custom types to listeners, also when added after the stream opened", async () => {
		const { registry, last, frames } = setup();
		const { client, registration } = registry.register("/", ["demo"]);
		await settle(DEBOUNCE_MS);
		last().open();
		const listener = vi.fn();
		const off = client.on("weights", listener);
		expect(last().listens("weights")).toBe(1);
		last().send(envelope("demo", "weights", { norm: 2 }), "e-1");
		frames.run();
		expect(listener).toHaveBeenCalledWith(envelope("demo", "weights", { norm: 2 }));
		expect(registration.stores[0]?.other.weights?.data).toEqual({ norm: 2 });

		off();
		last().send(envelope("demo", "weights", { norm: 3 }), "e-2");
		frames.run();
		expect(listener).toHaveBeenCalledOnce();
	});

	it("coalesces a burst of events into one state update per frame", async () => {
		const { registry, last, frames } = setup();
		const { registration, client } = registry.register("/", ["demo"]);
		const [store] = registration.stores;
		await settle(DEBOUNCE_MS);
		last().open();
		const apply = vi.spyOn(ChannelStore.prototype, "apply");
		const revision = store?.revision ?? 0;

		for (let i = 0; i < 5000; i++) {
			last().send(envelope("demo", "metric", { step: i, values: { loss: 1 / (i + 1) } }), `e-${i}`);
			last().send(
				envelope("demo", "progress", { key: "batches", value: i, total: 5000 }),
				`e-${i}b`,
			);
		}
		expect(frames.pending).toBe(1);
		expect(store?.progress).toEqual({}); // nothing applied before the frame
		expect(client.cursor).toBe("e-4999b");

		frames.run();
		expect(apply).toHaveBeenCalledTimes(1);
		expect(store?.revision).toBe(revision + 1);
		expect(store?.metrics.demo?.length).toBe(5000);
		expect(store?.metrics.demo?.version).toBe(1);
		expect(store?.progress.batches?.value).toBe(4999);
		expect(client.connection.lastEventAt).toBe(Date.now());
	});

	it("keeps applying one listener's batch when another listener throws", async () => {
		const { registry, last, frames } = setup();
		const { client } = registry.register("/", ["demo"]);
		const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
		const good = vi.fn();
		client.on("log", () => {
			throw new Error("broken");
		});
		client.on("log", good);
		await settle(DEBOUNCE_MS);
		last().open();
		last().send(envelope("demo", "log", { text: "a" }), "e-1");
		frames.run();
		expect(good).toHaveBeenCalledOnce();
		expect(error).toHaveBeenCalledOnce();
	});
});
