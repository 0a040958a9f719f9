import { describe, expect, it } from "vitest";
import { envelope } from "../../test/fake-event-source.js";
import {
	ChannelStore,
	KEPT_LOG_LINES,
	KEPT_TABLE_ROWS,
	KEPT_TOASTS,
} from "./channel-store.svelte.js";

describe("ChannelStore", () => {
	it("folds each built-in type into its collection", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "progress", { key: "epoch", value: 2, total: 10, label: null, eta: 4 }, 5),
			envelope("demo", "status", { key: "phase", value: "train", variant: "bogus" }),
			envelope("demo", "metric", { step: 1, values: { loss: 0.5 } }),
			envelope("demo", "table", { table: "runs", row: { lr: 0.1 } }),
			envelope("demo", "table", { table: "runs", row: { lr: 0.2, score: 0.9 } }),
			envelope("demo", "log", { text: "hello", level: "warning" }),
			envelope("demo", "notify", { message: "done", title: "Run", level: "success" }),
			envelope("demo", "gradients", { norm: 1.5 }),
		]);
		expect(store.progress.epoch).toEqual({
			id: "epoch",
			channel: "demo",
			ts: 5,
			key: "epoch",
			value: 2,
			total: 10,
			eta: 4,
		});
		expect(store.status.phase?.variant).toBe("default");
		expect(store.metrics.demo?.length).toBe(1);
		expect(store.tables.runs).toMatchObject({
			columns: ["lr", "score"],
			rows: [{ lr: 0.1 }, { lr: 0.2, score: 0.9 }],
		});
		expect(store.log[0]).toMatchObject({ text: "hello", level: "warning" });
		expect(store.toasts[0]).toMatchObject({ message: "done", title: "Run", level: "success" });
		expect(store.other.gradients?.data).toEqual({ norm: 1.5 });
		expect(store.revision).toBe(1);
	});

	it("keeps the identity of entries a batch did not touch", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "progress", { key: "a", value: 1 }),
			envelope("demo", "progress", { key: "b", value: 1 }),
		]);
		const { a } = store.progress;
		const before = store.progress;
		store.apply([envelope("demo", "progress", { key: "b", value: 2 })]);
		expect(store.progress).not.toBe(before);
		expect(store.progress.a).toBe(a);
		expect(store.progress.b?.value).toBe(2);
	});

	it("bounds tables, log and toasts to their newest entries", () => {
		const store = new ChannelStore("demo");
		const batch = [];
		for (let i = 0; i < KEPT_TABLE_ROWS + 10; i++)
			batch.push(envelope("demo", "table", { table: "t", row: { i } }));
		for (let i = 0; i < KEPT_LOG_LINES + 10; i++)
			batch.push(envelope("demo", "log", { text: `${i}` }));
		for (let i = 0; i < KEPT_TOASTS + 2; i++)
			batch.push(envelope("demo", "notify", { message: `${i}` }));
		store.apply(batch);
		expect(store.tables.t?.rows).toHaveLength(KEPT_TABLE_ROWS);
		expect(store.tables.t?.rows[0]).toEqual({ i: 10 });
		expect(store.log).toHaveLength(KEPT_LOG_LINES);
		expect(store.log[0]?.text).toBe("10");
		expect(store.toasts.map((t) => t.message)).toEqual(["2", "3", "4", "5", "6"]);
	});

	it("dismisses a toast by id", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "notify", { message: "a" }),
			envelope("demo", "notify", { message: "b" }),
		]);
		const first = store.toasts[0];
		if (!first) throw new Error("no toast");
		store.dismissToast(first.id);
		expect(store.toasts.map((t) => t.message)).toEqual(["b"]);
	});

	it("replaces only the snapshot's channel in a pattern store", () => {
		const store = new ChannelStore("train/*");
		store.apply([
			envelope("train/a", "progress", { key: "epoch", value: 1 }),
			envelope("train/b", "progress", { key: "epoch", value: 7 }),
			envelope("train/a", "table", { table: "runs", row: { x: 1 } }),
			envelope("train/b", "log", { text: "b1" }, 1),
			envelope("train/a", "log", { text: "a-old" }, 2),
			envelope("train/a", "log", { text: "a-replaced" }, 5),
			envelope("train/b", "log", { text: "b2" }, 6),
		]);
		store.apply([
			envelope("train/a", "snapshot", {
				progress: { epoch: { key: "epoch", value: 3 } },
				log: [
					{ ts: 4, text: "a4" },
					{ ts: 5, text: "a5" },
				],
			}),
		]);
		expect(Object.keys(store.progress).sort()).toEqual(["train/a:epoch", "train/b:epoch"]);
		expect(store.progress["train/a:epoch"]?.value).toBe(3);
		expect(store.progress["train/b:epoch"]?.value).toBe(7);
		expect(store.tables).toEqual({});
		expect(store.log.map((l) => l.text)).toEqual(["b1", "a-old", "a4", "a5", "b2"]);
		expect(new Set(store.log.map((l) => l.seq)).size).toBe(5);
	});

	it("is loaded after its first snapshot, even an empty one", () => {
		const store = new ChannelStore("demo");
		store.apply([envelope("demo", "progress", { key: "a", value: 1 })]);
		expect(store.loaded).toBe(false);
		store.apply([envelope("demo", "snapshot", {})]);
		expect(store.loaded).toBe(true);
		expect(store.progress).toEqual({});
	});

	it("drops what a snapshot or reset replaces even within the same batch", () => {
		const store = new ChannelStore("demo");
		store.apply([
			envelope("demo", "table", { table: "t", row: { before: 1 } }),
			envelope("*", "reset", { reason: "lost" }),
			envelope("demo", "snapshot", { table: { t: [{ fresh: 1 }] } }),
			envelope("demo", "table", { table: "t", row: { after: 1 } }),
		]);
		expect(store.tables.t?.rows).toEqual([{ fresh: 1 }, { after: 1 }]);
		expect(store.tables.t?.columns).toEqual(["fresh", "after"]);
	});
});
