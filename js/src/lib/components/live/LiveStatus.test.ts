import { cleanup, render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChannelStore } from "$lib/state";
import LiveStatus from "./LiveStatus.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

describe("LiveStatus", () => {
	it("fades a badge's colour on a single change, not while statuses stream", async () => {
		vi.useFakeTimers();
		try {
			const store = new ChannelStore("train");
			store.apply([
				envelope("train", "status", { key: "phase", value: "training", variant: "info" }),
			]);
			const { container } = render(LiveStatus, { store });
			const badge = () => container.querySelector<HTMLElement>("[data-slot=badge]")!;
			const set = (value: string, variant: string) => {
				store.apply([envelope("train", "status", { key: "phase", value, variant })]);
				flushSync();
			};

			set("validating", "success");
			expect(badge().textContent).toBe("validating");
			expect(badge().className).toContain("transition-colors");

			set("checkpointing", "warning");
			await vi.advanceTimersByTimeAsync(150);
			expect(badge().textContent).toBe("checkpointing");
			expect(badge().dataset.variant).toBe("warning");
			expect(badge().className).toContain("transition-none");
			expect(badge().className).not.toContain("transition-colors");

			// A change after a pause fades again.
			await vi.advanceTimersByTimeAsync(1000);
			set("training", "info");
			expect(badge().textContent).toBe("training");
			expect(badge().className).toContain("transition-colors");
		} finally {
			vi.useRealTimers();
		}
	});
});
