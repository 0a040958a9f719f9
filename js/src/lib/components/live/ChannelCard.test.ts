import "../../../test/jsdom-env.js";
import { cleanup, render, screen } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelStore } from "$lib/state";
import ChannelCard from "./ChannelCard.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

describe("ChannelCard", () => {
	it("shows a skeleton until the first snapshot", () => {
		const store = new ChannelStore("train/run-1");
		const { container } = render(ChannelCard, { store });
		const card = container.querySelector("[data-slot=channel-card]")!;
		expect(card.getAttribute("aria-busy")).toBe("true");
		expect(container.querySelectorAll("[data-slot=skeleton]").length).toBeGreaterThan(0);

		store.apply([
			envelope("train/run-1", "snapshot", {
				progress: { epoch: { key: "epoch", value: 3, total: 10, label: "epoch" } },
				status: { phase: { key: "phase", value: "training", variant: "info" } },
			}),
		]);
		flushSync();
		expect(card.getAttribute("aria-busy")).toBe("false");
		expect(container.querySelector("[data-slot=skeleton]")).toBeNull();
		expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("3");
		expect(
			screen.getByText("training").closest("[data-slot=badge]")!.getAttribute("data-variant"),
		).toBe("info");
	});

	it("says it is waiting when the channel is loaded but empty", () => {
		const store = new ChannelStore("train/run-1");
		store.apply([envelope("train/run-1", "snapshot", {})]);
		render(ChannelCard, { store });
		expect(screen.getByText(/Waiting for events on/)).toBeTruthy();
	});
});
