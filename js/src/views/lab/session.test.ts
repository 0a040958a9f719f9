import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ClientRegistry } from "$lib/state";
import { envelope, FakeEventSource, ManualFrames } from "../../test/fake-event-source.js";
import { LabSession, type Notice } from "./session.svelte.js";

function setup() {
	const sources: FakeEventSource[] = [];
	const frames = new ManualFrames();
	const registry = new ClientRegistry({
		createEventSource: (url) => {
			const source = new FakeEventSource(url);
			sources.push(source);
			return source;
		},
		fetch: vi.fn<typeof fetch>(async () => new Response("", { status: 200 })),
		schedule: frames.schedule,
		random: () => 0.5,
		resubscribeDelayMs: 0,
	});
	const notices: Notice[] = [];
	const listed: unknown[] = [];
	const session = new LabSession({
		baseUrl: "http://127.0.0.1/",
		registry,
		notify: (notice) => notices.push(notice),
		getJson: async () => listed,
	});
	const stream = (): FakeEventSource => {
		const source = sources.filter((s) => !s.closed).at(-1);
		if (!source) throw new Error("no open EventSource");
		return source;
	};
	return { session, frames, notices, listed, stream };
}

beforeEach(() => {
	vi.useFakeTimers();
});

afterEach(() => {
	vi.useRealTimers();
});

describe("LabSession", () => {
	it("hands a notify shown by several outputs to JupyterLab once, with its level", async () => {
		const { session, frames, notices, stream } = setup();
		const one = session.show(["train/run-1"]);
		const two = session.show(["train/*"]);
		await vi.advanceTimersByTimeAsync(0);
		stream().open();
		stream().send(
			envelope("train/run-1", "notify", { message: "done", title: "t", level: "warning" }),
		);
		stream().send(envelope("other", "notify", { message: "not shown here" }));
		frames.run();
		expect(notices).toEqual([
			{ channel: "train/run-1", message: "done", title: "t", level: "warning" },
		]);
		one.release();
		two.release();
	});

	it("hands every channel's notify over when the setting says so", async () => {
		const { session, frames, notices, stream } = setup();
		session.notifyAll = true;
		await vi.advanceTimersByTimeAsync(0);
		stream().open();
		stream().send(envelope("anything/else", "notify", { message: "hello" }));
		frames.run();
		expect(notices.map((notice) => [notice.channel, notice.level])).toEqual([
			["anything/else", "info"],
		]);
		session.notifyAll = false;
	});

	it("says live, reconnecting and offline as the stream goes", async () => {
		const { session, stream } = setup();
		expect(session.state).toBe("offline");
		const output = session.show(["demo"]);
		await vi.advanceTimersByTimeAsync(0);
		expect(session.state).toBe("reconnecting");
		stream().open();
		expect(session.state).toBe("live");
		stream().fail();
		expect(session.state).toBe("reconnecting");
		const connection = session.client?.connection;
		if (!connection) throw new Error("no client while an output is shown");
		connection.status = "unauthorized";
		expect(session.state).toBe("refused");
		output.release();
		expect(session.state).toBe("offline");
	});

	it("counts events a second while live", async () => {
		const { session, frames, stream } = setup();
		const output = session.show(["demo"]);
		await vi.advanceTimersByTimeAsync(0);
		stream().open();
		for (let i = 0; i < 6; i++) stream().send(envelope("demo", "progress", { key: "p", value: i }));
		frames.run();
		await vi.advanceTimersByTimeAsync(1000);
		expect(session.rate).toBe(6);
		await vi.advanceTimersByTimeAsync(1000);
		expect(session.rate).toBe(3);
		output.release();
	});

	it("lists a channel the panel had not seen as soon as it publishes, then its counts", async () => {
		const { session, frames, listed, stream } = setup();
		const stop = session.watchChannels();
		await vi.advanceTimersByTimeAsync(0);
		stream().open();
		expect(stream().channels).toEqual(["*"]);
		stream().send(envelope("fresh/run", "status", { key: "phase", value: "new" }));
		frames.run();
		await Promise.resolve();
		expect(session.channels.map((row) => row.channel)).toEqual(["fresh/run"]);
		listed.push({ channel: "fresh/run", subscribers: 2, events: 1, last_event: 5, watchers: 1 });
		await vi.advanceTimersByTimeAsync(1000);
		expect(session.channels[0]).toMatchObject({
			channel: "fresh/run",
			subscribers: 2,
			watchers: 1,
		});
		stop();
	});
});
