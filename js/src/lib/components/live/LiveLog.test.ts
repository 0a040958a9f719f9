import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelStore } from "$lib/state";
import LiveLog from "./LiveLog.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

function storeWithLines(count: number): ChannelStore {
	const store = new ChannelStore("train");
	store.apply(
		Array.from({ length: count }, (_, i) =>
			envelope("train", "log", { text: `line ${i}`, level: i % 2 ? "warning" : "info" }),
		),
	);
	return store;
}

const texts = (container: HTMLElement) =>
	[...container.querySelectorAll("[role=log] > div")].map(
		(line) => line.lastElementChild!.textContent,
	);

describe("LiveLog", () => {
	it("draws the newest `limit` lines, oldest first, with their level", () => {
		const { container } = render(LiveLog, { store: storeWithLines(30), limit: 5 });
		expect(texts(container)).toEqual(["line 25", "line 26", "line 27", "line 28", "line 29"]);
		const warning = container.querySelector(
			"[role=log] > div[data-level=warning] > span:last-child",
		)!;
		expect(warning.className).toContain("text-warning");
	});

	it("holds still while scrolled up, and jumps back to the end on demand", async () => {
		const store = storeWithLines(10);
		const { container } = render(LiveLog, { store, limit: 5 });
		const viewport = container.querySelector<HTMLElement>("[role=log]")!;
		Object.defineProperty(viewport, "scrollHeight", { value: 500, configurable: true });
		Object.defineProperty(viewport, "clientHeight", { value: 100, configurable: true });
		await fireEvent.scroll(viewport);
		store.apply([
			envelope("train", "log", { text: "line 10" }),
			envelope("train", "log", { text: "line 11" }),
		]);
		flushSync();
		expect(texts(container).at(-1)).toBe("line 9");
		await fireEvent.click(screen.getByRole("button", { name: /2 new · jump to latest/ }));
		expect(texts(container).at(-1)).toBe("line 11");
	});
});
