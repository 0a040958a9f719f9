// First: uPlot (through the channel cards' charts) reads matchMedia when it is imported.
import "../../test/jsdom-env.js";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ClientRegistry } from "$lib/state";
import { FakeEventSource, ManualFrames } from "../../test/fake-event-source.js";
import Dashboard from "../Dashboard.svelte";
import { type DashboardConfig, parseConfig } from "./config.js";
import { Theme } from "./theme.svelte.js";

const json = (body: unknown, status = 200): Response =>
	new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function setup(config: Partial<DashboardConfig>, answer: (url: string) => Response) {
	const sources: FakeEventSource[] = [];
	const fetchFn = vi.fn<typeof fetch>(async (input) => answer(String(input)));
	const registry = new ClientRegistry({
		createEventSource: (url) => {
			const source = new FakeEventSource(url);
			sources.push(source);
			return source;
		},
		fetch: fetchFn,
		schedule: new ManualFrames().schedule,
		resubscribeDelayMs: 0,
	});
	const theme = new Theme({ storage: null, matchMedia: null });
	render(Dashboard, {
		config: parseConfig({ baseUrl: "/hub/user/alice/", ...config }),
		theme,
		registry,
		fetch: fetchFn,
	});
	const streaming = (): string[] => sources.filter((s) => !s.closed).at(-1)?.channels ?? [];
	return { sources, streaming, theme };
}

const rows = [
	{ channel: "train/run-1", subscribers: 1, events: 4, last_event: 1_764_000_000 },
	{ channel: "train/run-2", subscribers: 0, events: 2, last_event: 1_764_000_000 },
];

beforeEach(() => {
	vi.useFakeTimers();
	history.replaceState(null, "", "/hub/user/alice/sse/dashboard?channel=train/run-1&token=secret");
});

afterEach(() => {
	cleanup();
	vi.useRealTimers();
});

describe("Dashboard", () => {
	it("streams the URL's channels and writes the selection back to the URL", async () => {
		const { streaming } = setup({ channels: ["train/run-1"] }, () => json(rows));
		await vi.advanceTimersByTimeAsync(0);
		expect(streaming()).toEqual(["train/run-1"]);
		expect(location.search).toBe("?channel=train/run-1");

		const picker = screen.getByRole("list", { name: "Channels" });
		await fireEvent.click(within(picker).getByText("train/run-2"));
		await vi.advanceTimersByTimeAsync(0);
		expect(location.search).toBe("?channel=train/run-1&channel=train/run-2");
		expect(streaming()).toEqual(["train/run-1", "train/run-2"]);
		expect(document.querySelectorAll("[data-slot=channel-card]")).toHaveLength(2);

		await fireEvent.click(screen.getByRole("button", { name: "Stop watching train/run-1" }));
		await vi.advanceTimersByTimeAsync(0);
		expect(location.search).toBe("?channel=train/run-2");
		expect(streaming()).toEqual(["train/run-2"]);
	});

	it("adds a typed pattern", async () => {
		const { streaming } = setup({ channels: [] }, () => json(rows));
		await vi.advanceTimersByTimeAsync(0);
		expect(screen.getByText("Pick a channel to watch")).toBeTruthy();
		await fireEvent.input(screen.getByRole("searchbox"), { target: { value: "train/*" } });
		await fireEvent.click(screen.getByRole("button", { name: /Watch train\/\*/ }));
		await vi.advanceTimersByTimeAsync(0);
		expect(streaming()).toEqual(["train/*"]);
		expect(location.search).toBe("?channel=train/*");
	});

	it("limits a viewer's picker and stream to its scope", async () => {
		const { streaming } = setup(
			{ channels: ["train/run-1", "secret/keys"], viewer: true, scope: ["train/*"] },
			() =>
				json([...rows, { channel: "secret/keys", subscribers: 0, events: 1, last_event: null }]),
		);
		await vi.advanceTimersByTimeAsync(0);
		expect(streaming()).toEqual(["train/run-1"]);
		const names = [...document.querySelectorAll<HTMLElement>("[data-slot=picker-entry]")].map(
			(e) => e.dataset.channel,
		);
		expect(names).toEqual(["train/*", "train/run-1", "train/run-2"]);
		expect(screen.getByText("secret/keys").closest("[data-slot=refused-channels]")).not.toBeNull();
		expect(screen.getByText("Shared view")).toBeTruthy();
	});

	it("tells a viewer that the link expired when the server refuses it", async () => {
		setup({ channels: ["train/*"], viewer: true, scope: ["train/*"] }, () =>
			json({ error: "viewer token refused: token expired", status: 403 }, 403),
		);
		await vi.advanceTimersByTimeAsync(0);
		flushSync();
		const alert = document.querySelector("[data-slot=link-expired]");
		expect(alert?.textContent).toContain("This link has expired or was revoked");
		expect(alert?.textContent).toContain("token expired");
	});

	it("switches the theme on its root", async () => {
		const { theme } = setup({ channels: [] }, () => json([]));
		const root = document.querySelector<HTMLElement>("[data-slot=dashboard]")!;
		expect(root.classList.contains("dark")).toBe(false);
		await fireEvent.click(screen.getByRole("button", { name: "Switch to dark theme" }));
		expect(theme.mode).toBe("dark");
		expect(root.classList.contains("dark")).toBe(true);
		expect(root.dataset.theme).toBe("dark");
	});

	it("offers the System and Activity views to whoever may read their channels", async () => {
		const { streaming } = setup({ channels: ["train/run-1"] }, () => json(rows));
		await vi.advanceTimersByTimeAsync(0);
		const tabs = screen.getAllByRole("tab").map((tab) => tab.textContent?.trim());
		expect(tabs).toEqual(["Channels", "System", "Activity"]);
		expect(streaming()).toEqual(["train/run-1"]);
		await fireEvent.click(screen.getByRole("tab", { name: "System" }));
		await vi.advanceTimersByTimeAsync(0);
		// The server channels join the stream only while the view needs them.
		expect(streaming()).toEqual(["jupyter/activity", "jupyter/system", "train/run-1"]);
		expect(location.hash).toBe("#system");
		await fireEvent.click(screen.getByRole("tab", { name: "Channels" }));
		await vi.advanceTimersByTimeAsync(0);
		expect(streaming()).toEqual(["train/run-1"]);
		expect(location.hash).toBe("");
	});

	it("shows no view switcher to a viewer whose link covers no server channel", async () => {
		setup({ channels: ["train/run-1"], viewer: true, scope: ["train/*"] }, () => json(rows));
		await vi.advanceTimersByTimeAsync(0);
		expect(screen.queryAllByRole("tab")).toEqual([]);
	});
});
