import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChannelStore } from "$lib/state";
import LiveTable from "./LiveTable.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

function storeWithRows(count: number): ChannelStore {
	const store = new ChannelStore("train");
	store.apply([envelope("train", "snapshot", {})]);
	store.apply(
		Array.from({ length: count }, (_, i) =>
			envelope("train", "table", { table: "results", row: { step: i, score: i / 100 } }),
		),
	);
	return store;
}

const bodyRows = (container: HTMLElement) =>
	container.querySelectorAll("[data-slot=table-body] [data-slot=table-row]");

describe("LiveTable", () => {
	it("draws at most `limit` rows, newest first", () => {
		const { container } = render(LiveTable, { store: storeWithRows(30), limit: 10 });
		const rows = bodyRows(container);
		expect(rows).toHaveLength(10);
		expect(rows[0]!.textContent).toContain("29");
		expect(rows[9]!.textContent).toContain("20");
		expect(screen.getByText("latest 10 of 30 rows")).toBeTruthy();
	});

	it("stays bounded while rows stream in", () => {
		const store = storeWithRows(5);
		const { container } = render(LiveTable, { store, limit: 8 });
		expect(bodyRows(container)).toHaveLength(5);
		store.apply(
			Array.from({ length: 20 }, (_, i) =>
				envelope("train", "table", { table: "results", row: { step: 100 + i } }),
			),
		);
		flushSync();
		const rows = bodyRows(container);
		expect(rows).toHaveLength(8);
		expect(rows[0]!.textContent).toContain("119");
	});

	it("redraws at most once per refresh interval, ending on the latest rows", async () => {
		vi.useFakeTimers();
		try {
			const store = storeWithRows(1);
			const { container } = render(LiveTable, { store, refreshMs: 100 });
			const add = (step: number) => {
				store.apply([envelope("train", "table", { table: "results", row: { step } })]);
				flushSync();
			};
			add(500);
			expect(bodyRows(container)[0]!.textContent).toContain("500");
			add(501);
			add(502);
			// Within the interval: still the first update.
			expect(bodyRows(container)[0]!.textContent).toContain("500");
			await vi.advanceTimersByTimeAsync(150);
			expect(bodyRows(container)[0]!.textContent).toContain("502");
		} finally {
			vi.useRealTimers();
		}
	});

	it("holds still while scrolled down to older rows", async () => {
		const store = storeWithRows(30);
		const { container } = render(LiveTable, { store, limit: 10 });
		const viewport = container.querySelector<HTMLElement>("section > div.overflow-auto")!;
		Object.defineProperty(viewport, "scrollTop", {
			value: 120,
			configurable: true,
			writable: true,
		});
		await fireEvent.scroll(viewport);
		store.apply([envelope("train", "table", { table: "results", row: { step: 999 } })]);
		flushSync();
		expect(bodyRows(container)[0]!.textContent).toContain("29");
		await fireEvent.click(screen.getByRole("button", { name: /back to latest/ }));
		expect(viewport.scrollTop).toBe(0);
		expect(bodyRows(container)[0]!.textContent).toContain("999");
	});

	it("takes its columns from the union of the rows' keys", () => {
		const store = new ChannelStore("train");
		store.apply([
			envelope("train", "table", { table: "t", row: { lr: 0.1 } }),
			envelope("train", "table", { table: "t", row: { lr: 0.01, score: 0.9 } }),
			envelope("train", "table", { table: "t", row: { note: "best" } }),
		]);
		const { container } = render(LiveTable, { store });
		const heads = [...container.querySelectorAll("[data-slot=table-head]")].map((th) =>
			th.textContent?.trim(),
		);
		expect(heads).toEqual(["lr", "score", "note"]);
		const first = bodyRows(container)[0]!;
		// The newest row has no lr or score: its cells show a dash, not "undefined".
		expect(within(first as HTMLElement).getAllByText("–")).toHaveLength(2);
	});
});
