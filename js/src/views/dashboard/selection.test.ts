import { describe, expect, it } from "vitest";
import { parseConfig } from "./config.js";
import {
	addableName,
	type ChannelInfo,
	initialSelection,
	pickerEntries,
	searchWithSelection,
	selectionFromSearch,
	toggle,
} from "./selection.js";

const row = (channel: string, subscribers = 0, events = 1): ChannelInfo => ({
	channel,
	subscribers,
	events,
	last_event: 1_764_000_000,
});

describe("URL ↔ selection", () => {
	it("reads ?channel= in order, without repeats or blanks", () => {
		expect(selectionFromSearch("?channel=b&x=1&channel=a&channel=b&channel=")).toEqual(["b", "a"]);
		expect(selectionFromSearch("")).toEqual([]);
		expect(selectionFromSearch("?channel=train%2F*")).toEqual(["train/*"]);
	});

	it("replaces the channels and keeps other parameters in place", () => {
		expect(searchWithSelection("?view=compact&channel=old", ["train/run-1", "demo/*"])).toBe(
			"?view=compact&channel=train/run-1&channel=demo/*",
		);
		expect(searchWithSelection("?channel=old", [])).toBe("");
		expect(searchWithSelection("", [])).toBe("");
	});

	it("keeps names readable but escapes what would break the query", () => {
		expect(searchWithSelection("", ["ns:run/1"])).toBe("?channel=ns:run/1");
		expect(searchWithSelection("", ["a&b=c"])).toBe("?channel=a%26b%3Dc");
	});

	it("drops a Jupyter token from the address once the page has loaded", () => {
		expect(searchWithSelection("?token=abc123&channel=a", ["a", "b"])).toBe("?channel=a&channel=b");
	});

	it("round-trips any selection through the URL", () => {
		const selection = ["train/run-1", "train/*", "sys.gpu:0", "*"];
		expect(selectionFromSearch(searchWithSelection("?token=t", selection))).toEqual(selection);
	});

	it("toggles a name at the end of the selection, or out of it", () => {
		expect(toggle(["a", "b"], "c")).toEqual(["a", "b", "c"]);
		expect(toggle(["a", "b", "c"], "b")).toEqual(["a", "c"]);
	});
});

describe("initial selection", () => {
	it("is the URL's channels for a Jupyter user, minus malformed names", () => {
		const config = parseConfig({
			baseUrl: "/",
			channels: ["a", "bad name", "b/*", "a"],
			viewer: false,
			scope: null,
		});
		expect(initialSelection(config)).toEqual({ selected: ["a", "b/*"], refused: ["bad name"] });
	});

	it("leaves out a viewer's channels outside its scope, so the stream is not refused", () => {
		const config = parseConfig({
			channels: ["train/*", "secret", "train/run-1"],
			viewer: true,
			scope: ["train/*"],
		});
		expect(initialSelection(config)).toEqual({
			selected: ["train/*", "train/run-1"],
			refused: ["secret"],
		});
	});

	it("is a viewer's whole scope when the URL names nothing", () => {
		const config = parseConfig({ channels: [], viewer: true, scope: ["train/*", "demo"] });
		expect(initialSelection(config)).toEqual({ selected: ["train/*", "demo"], refused: [] });
	});

	it("is empty for a Jupyter user whose URL names nothing", () => {
		expect(initialSelection(parseConfig({ baseUrl: "/" }))).toEqual({ selected: [], refused: [] });
	});
});

describe("picker entries", () => {
	const rows = [
		row("train/run-2", 1),
		row("secret/keys", 3),
		row("train/run-1", 2),
		row("demo", 0),
	];

	it("lists every channel, sorted by name, for a Jupyter user", () => {
		const entries = pickerEntries({ rows, scope: null, selected: ["train/run-1"] });
		expect(entries.map((e) => e.name)).toEqual([
			"demo",
			"secret/keys",
			"train/run-1",
			"train/run-2",
		]);
		expect(entries.find((e) => e.name === "train/run-1")).toMatchObject({
			selected: true,
			listed: true,
			subscribers: 2,
			events: 1,
		});
	});

	it("limits a viewer to its scope, and offers its patterns and unlisted names", () => {
		const entries = pickerEntries({ rows, scope: ["train/*", "demo", "later"], selected: [] });
		expect(entries.map((e) => e.name)).toEqual([
			"demo",
			"later",
			"train/*",
			"train/run-1",
			"train/run-2",
		]);
		expect(entries.find((e) => e.name === "train/*")).toMatchObject({
			isPattern: true,
			listed: false,
			subscribers: null,
		});
		expect(entries.find((e) => e.name === "later")).toMatchObject({
			isPattern: false,
			listed: false,
		});
		expect(entries.some((e) => e.name.startsWith("secret"))).toBe(false);
	});

	it("keeps selected names that the server does not list yet", () => {
		const entries = pickerEntries({ rows: [], scope: null, selected: ["new/run", "x/*"] });
		expect(entries.map((e) => [e.name, e.selected, e.listed])).toEqual([
			["new/run", true, false],
			["x/*", true, false],
		]);
	});

	it("never offers a selected name outside a viewer's scope", () => {
		expect(pickerEntries({ rows: [], scope: ["a"], selected: ["b"] }).map((e) => e.name)).toEqual([
			"a",
		]);
	});

	it("filters by a case-insensitive substring", () => {
		const entries = pickerEntries({ rows, scope: null, selected: [], query: "  RUN " });
		expect(entries.map((e) => e.name)).toEqual(["train/run-1", "train/run-2"]);
	});

	it("offers to add a typed name only when it is new, valid and in scope", () => {
		const entries = pickerEntries({ rows, scope: null, selected: [] });
		expect(addableName("train/*", entries, null)).toBe("train/*");
		expect(addableName(" train/run-1 ", entries, null)).toBeNull();
		expect(addableName("bad name", entries, null)).toBeNull();
		expect(addableName("", entries, null)).toBeNull();
		expect(addableName("train/run-9", [], ["train/*"])).toBe("train/run-9");
		expect(addableName("secret/x", [], ["train/*"])).toBeNull();
	});
});
