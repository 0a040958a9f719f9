import { describe, expect, it } from "vitest";
import { envelope } from "../../test/fake-event-source.js";
import { ChannelStore, KEPT_CHAT_MESSAGES } from "./channel-store.svelte.js";

const alice = { name: "alice", display_name: "Alice", kind: "user" as const };
const guest = { name: "viewer:1", display_name: "Guest", kind: "viewer" as const };

function message(id: string, text: string, ts = 1, extra: object = {}): object {
	return { id, author: alice, text, ts, ...extra };
}

describe("ChannelStore chat and presence", () => {
	it("appends messages, applies edits and deletes, and ignores unknown ids", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "chat", message("m1", "hello")),
			envelope("demo", "chat", message("m2", "<b>hi</b>", 2, { reply_to: "m1" })),
			envelope("demo", "chat_edit", { id: "m1", text: "hello!", author: alice, ts: 3 }),
			envelope("demo", "chat_edit", { id: "gone", text: "x", author: alice, ts: 3 }),
		]);
		expect(store.chat.map((m) => [m.id, m.text, m.edited])).toEqual([
			["m1", "hello!", 3],
			["m2", "<b>hi</b>", undefined],
		]);
		expect(store.chat[1]).toMatchObject({ channel: "demo", reply_to: "m1" });
		store.apply([envelope("demo", "chat_delete", { id: "m1", author: guest, ts: 4 })]);
		expect(store.chat.map((m) => m.id)).toEqual(["m2"]);
	});

	it("drops data that is not the server's shape and a replayed message", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "chat", message("m1", "hello")),
			envelope("demo", "chat", message("m1", "hello")),
			envelope("demo", "chat", { id: "m2", text: "no author", ts: 1 }),
			envelope("demo", "presence", { watchers: "everyone", count: 1 }),
		]);
		expect(store.chat.map((m) => m.id)).toEqual(["m1"]);
		expect(store.presence).toEqual({});
	});

	it("takes the snapshot's messages and watchers in place of the channel's", () => {
		const store = new ChannelStore("demo");
		store.apply([envelope("demo", "chat", message("old", "before"))]);
		const watchers = [
			{ ...alice, since: 1 },
			{ ...guest, since: 2 },
		];
		store.apply([
			envelope("demo", "snapshot", {
				chat: [message("m1", "kept", 1, { edited: 2 })],
				presence: { watchers, count: 2 },
			}),
			envelope("demo", "chat", message("m2", "after", 3)),
		]);
		expect(store.chat.map((m) => m.id)).toEqual(["m1", "m2"]);
		expect(store.chat[0]?.edited).toBe(2);
		expect(store.presence.demo?.watchers.map((w) => w.display_name)).toEqual(["Alice", "Guest"]);
		store.apply([envelope("demo", "presence", { watchers: [watchers[1]], count: 1 })]);
		expect(store.presence.demo?.count).toBe(1);
	});

	it("keeps other channels' messages in a pattern store, in post order", () => {
		const store = new ChannelStore("train/*");
		store.apply([
			envelope("train/a", "chat", message("a1", "a", 1)),
			envelope("train/b", "chat", message("b1", "b", 5)),
			envelope("train/a", "snapshot", { chat: [message("a1", "a", 1), message("a2", "a", 6)] }),
		]);
		expect(store.chat.map((m) => `${m.channel}:${m.id}`)).toEqual([
			"train/a:a1",
			"train/b:b1",
			"train/a:a2",
		]);
	});

	it("forgets everything on reset and bounds what it keeps", () => {
		const store = new ChannelStore("demo");
		const batch = [];
		for (let i = 0; i < KEPT_CHAT_MESSAGES + 5; i++)
			batch.push(envelope("demo", "chat", message(`m${i}`, `${i}`, i)));
		store.apply(batch);
		expect(store.chat).toHaveLength(KEPT_CHAT_MESSAGES);
		expect(store.chat[0]?.id).toBe("m5");
		store.apply([envelope("demo", "reset", { reason: "history lost" })]);
		expect(store.chat).toEqual([]);
	});
});
