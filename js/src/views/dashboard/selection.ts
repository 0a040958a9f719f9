/**
 * The page's selection logic, kept free of Svelte so it is tested on its own: which
 * channels the page shows, how that is written to and read from the URL, and what the
 * channel picker lists.
 */
import { isPattern, isValidSubscription, scopeCovers } from "$lib/sse";
import type { DashboardConfig } from "./config.js";

/** A row of `GET sse/channels`. */
export interface ChannelInfo {
	channel: string;
	/** Streams subscribed to the channel now, on this server. */
	subscribers: number;
	/** Events held in its history. */
	events: number;
	/** Server time (epoch seconds) of its newest event. */
	last_event: number | null;
}

function unique(values: Iterable<string>): string[] {
	return [...new Set(values)];
}

/** The `?channel=` values of a query string, in order, without repeats or blanks. */
export function selectionFromSearch(search: string): string[] {
	return unique(new URLSearchParams(search).getAll("channel").filter((channel) => channel !== ""));
}

/**
 * `search` with its `channel` parameters replaced by `channels`; other parameters are
 * kept in place, except `token`. Returns `""` when nothing is left, else `?…`.
 *
 * A Jupyter token in the address (`?token=` on first load) has done its job once the
 * page is up: Jupyter answered with a login cookie. Left there, it would end up in the
 * browser history and in every link copied from the address bar.
 */
export function searchWithSelection(search: string, channels: readonly string[]): string {
	const parts: string[] = [];
	for (const [key, value] of new URLSearchParams(search)) {
		if (key !== "channel" && key !== "token") parts.push(`${encode(key)}=${encode(value)}`);
	}
	for (const channel of channels) parts.push(`channel=${encode(channel)}`);
	return parts.length ? `?${parts.join("&")}` : "";
}

// `/` and `:` are legal in a query; leaving them readable keeps a shared URL legible
// (`?channel=train/run-1` rather than `?channel=train%2Frun-1`).
function encode(text: string): string {
	return encodeURIComponent(text).replace(/%2F/gi, "/").replace(/%3A/gi, ":");
}

export interface InitialSelection {
	/** What the page subscribes to first. */
	selected: string[];
	/** Requested names the page leaves out: malformed, or outside a viewer's scope. */
	refused: string[];
}

/**
 * The first selection: the URL's channels that the caller may read. A viewer whose URL
 * names nothing sees its whole scope. One refused channel must not reach the stream:
 * the server refuses the whole connection (403) when any channel is out of scope.
 */
export function initialSelection(config: DashboardConfig): InitialSelection {
	const requested = unique(config.channels);
	const allowed = (name: string): boolean =>
		isValidSubscription(name) && scopeCovers(config.scope, name);
	const selected = requested.filter(allowed);
	const refused = requested.filter((name) => !allowed(name));
	if (requested.length === 0 && config.viewer && config.scope !== null) {
		selected.push(...unique(config.scope).filter(isValidSubscription));
	}
	return { selected, refused };
}

/** `selected` with `name` added (at the end) or removed. */
export function toggle(selected: readonly string[], name: string): string[] {
	return selected.includes(name) ? selected.filter((s) => s !== name) : [...selected, name];
}

export interface PickerEntry {
	/** A channel, or a pattern ending in `*`. */
	name: string;
	isPattern: boolean;
	selected: boolean;
	/** False for a name the server did not list (a pattern, or a channel with no events yet). */
	listed: boolean;
	subscribers: number | null;
	events: number | null;
	lastEvent: number | null;
}

export interface PickerInput {
	rows: readonly ChannelInfo[];
	scope: readonly string[] | null;
	selected: readonly string[];
	/** Free text typed into the picker's search box. */
	query?: string;
}

/**
 * What the picker lists: the server's channels, the current selection and, for a
 * viewer, the names and patterns of its scope; all limited to the scope and to `query`
 * (a case-insensitive substring), sorted by name so that rows never jump when clicked.
 */
export function pickerEntries({ rows, scope, selected, query = "" }: PickerInput): PickerEntry[] {
	const entries = new Map<string, PickerEntry>();
	const add = (name: string, row: ChannelInfo | null): void => {
		if (entries.has(name) || !isValidSubscription(name) || !scopeCovers(scope, name)) return;
		entries.set(name, {
			name,
			isPattern: isPattern(name),
			selected: selected.includes(name),
			listed: row !== null,
			subscribers: row?.subscribers ?? null,
			events: row?.events ?? null,
			lastEvent: row?.last_event ?? null,
		});
	};
	// The server already filters a viewer's listing; checking again here keeps the picker
	// from offering a channel whose stream would be refused, should the two ever disagree.
	for (const row of rows) add(row.channel, row);
	for (const name of scope ?? []) add(name, null);
	for (const name of selected) add(name, null);
	const needle = query.trim().toLowerCase();
	return [...entries.values()]
		.filter((entry) => entry.name.toLowerCase().includes(needle))
		.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The name the picker offers to add from its search box, or null: a valid name or
 * pattern, in scope, not already listed. Lets a Jupyter user watch a channel before its
 * first event, or a whole prefix (`train/*`).
 */
export function addableName(
	query: string,
	entries: readonly PickerEntry[],
	scope: readonly string[] | null,
): string | null {
	const name = query.trim();
	if (!name || !isValidSubscription(name) || !scopeCovers(scope, name)) return null;
	return entries.some((entry) => entry.name === name) ? null : name;
}
