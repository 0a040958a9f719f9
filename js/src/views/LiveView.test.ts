import "../test/jsdom-env.js";
import { cleanup, render, screen } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection } from "$lib/sse";
import { ChannelStore } from "$lib/state";
import { envelope } from "../test/live-events.js";
import LiveView from "./LiveView.svelte";

afterEach(cleanup);

describe("LiveView", () => {
	beforeEach(() => {
		vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
	});

	it("draws one card per store, each with a skeleton until loaded", () => {
		const loaded = new ChannelStore("train/run-1");
		loaded.apply([envelope("train/run-1", "snapshot", {})]);
		const pending = new ChannelStore("eval/*");
		const { container } = render(LiveView, {
			stores: [loaded, pending],
			connection: new Connection(),
		});
		const cards = container.querySelectorAll<HTMLElement>("[data-slot=channel-card]");
		expect([...cards].map((c) => c.dataset.channel)).toEqual(["train/run-1", "eval/*"]);
		expect(cards[0]!.querySelector("[data-slot=skeleton]")).toBeNull();
		expect(cards[1]!.querySelector("[data-slot=skeleton]")).not.toBeNull();
	});

	it("shows connection problems above the cards", () => {
		const connection = new Connection();
		render(LiveView, { stores: [new ChannelStore("a")], connection });
		expect(screen.queryByRole("status")).toBeNull();
		connection.failed("reconnecting", null, Date.now() + 2000);
		flushSync();
		expect(screen.getByRole("status").textContent).toContain("Reconnecting");
	});

	it("shows notify events as toasts and removes them from the store when they expire", async () => {
		vi.useFakeTimers();
		try {
			const store = new ChannelStore("train");
			render(LiveView, { stores: [store], connection: new Connection() });
			store.apply([envelope("train", "notify", { message: "epoch done", level: "success" })]);
			flushSync();
			expect(screen.getByText("epoch done")).toBeTruthy();
			await vi.advanceTimersByTimeAsync(4500);
			expect(store.toasts).toHaveLength(0);
			expect(screen.queryByText("epoch done")).toBeNull();
		} finally {
			vi.useRealTimers();
		}
	});

	it("shows a notify event once when overlapping subscriptions both receive it", () => {
		const one = new ChannelStore("train/run-1");
		const all = new ChannelStore("train/*");
		render(LiveView, { stores: [one, all], connection: new Connection() });
		const event = envelope("train/run-1", "notify", { message: "best score", level: "info" });
		one.apply([event]);
		all.apply([event]);
		flushSync();
		expect(screen.getAllByText("best score")).toHaveLength(1);
	});

	it("leaves notify events to the host when told to (JupyterLab shows its own)", () => {
		const store = new ChannelStore("train");
		render(LiveView, { stores: [store], connection: new Connection(), toasts: false });
		store.apply([envelope("train", "notify", { message: "epoch done", level: "success" })]);
		flushSync();
		expect(screen.queryByText("epoch done")).toBeNull();
	});
});
