import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { envelope } from "../../test/fake-event-source.js";
import { ChannelStore } from "./channel-store.svelte.js";
import { persistState, restoreState, saveState } from "./persist.svelte.js";

function filled(): ChannelStore {
	const store = new ChannelStore("demo");
	store.apply([
		envelope("demo", "snapshot", {}, 1),
		envelope("demo", "progress", { key: "epoch", value: 2, total: 10 }, 2),
		envelope("demo", "status", { key: "phase", value: "train", variant: "info" }, 3),
		envelope("demo", "metric", { step: 0, values: { loss: 1 } }, 4),
		envelope("demo", "metric", { step: 1, values: { loss: 0.5 } }, 5),
		envelope("demo", "table", { table: "runs", row: { lr: 0.1 } }, 6),
		envelope("demo", "log", { text: "hi" }, 7),
		envelope("demo", "notify", { message: "not saved" }, 8),
	]);
	return store;
}

describe("saved state", () => {
	it("round-trips a store through the notebook's saved form", () => {
		const saved = saveState([filled()]);
		expect(Object.keys(saved)).toEqual(["demo"]);
		expect(saved.demo?.snapshot.metric).toHaveLength(2);

		const reopened = new ChannelStore("demo");
		restoreState([reopened], JSON.parse(JSON.stringify(saved)));
		expect(reopened.loaded).toBe(true);
		expect(reopened.progress.epoch?.value).toBe(2);
		expect(reopened.status.phase?.variant).toBe("info");
		expect(reopened.metrics.demo?.column("loss")).toEqual([1, 0.5]);
		expect(reopened.tables.runs?.rows).toEqual([{ lr: 0.1 }]);
		expect(reopened.log.map((l) => l.text)).toEqual(["hi"]);
		expect(reopened.toasts).toEqual([]);
	});

	it("does not overwrite a store that already has live data", () => {
		const live = filled();
		restoreState([live], {
			demo: { ts: 0, snapshot: { progress: { epoch: { key: "epoch", value: 99 } } } },
		});
		expect(live.progress.epoch?.value).toBe(2);
	});
});

describe("persistState", () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it("saves at most once per interval, and only what changed", () => {
		const store = new ChannelStore("demo");
		const save = vi.fn();
		const stop = persistState([store], save, 1000);
		flushSync();
		vi.advanceTimersByTime(5000);
		expect(save).not.toHaveBeenCalled(); // nothing to save yet

		for (let i = 0; i < 50; i++) {
			store.apply([envelope("demo", "progress", { key: "p", value: i })]);
			flushSync();
		}
		vi.advanceTimersByTime(1000);
		expect(save).toHaveBeenCalledOnce();
		expect(save.mock.lastCall?.[0].demo.snapshot.progress.p.value).toBe(49);

		store.apply([envelope("demo", "notify", { message: "no state change" })]);
		flushSync();
		vi.advanceTimersByTime(1000);
		expect(save).toHaveBeenCalledOnce();

		store.apply([envelope("demo", "progress", { key: "p", value: 50 })]);
		stop();
		flushSync();
		vi.advanceTimersByTime(5000);
		expect(save).toHaveBeenCalledOnce();
	});
});
