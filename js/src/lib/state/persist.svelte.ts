import type { SnapshotData } from "$lib/sse";
import type { ChannelStore } from "./channel-store.svelte.js";

/**
 * What a widget saves with the notebook (its `state` trait): per real channel, the
 * channel's state in snapshot form, so a notebook reopened without a kernel or a
 * server still shows the last values.
 */
export type SavedState = Record<string, { ts: number; snapshot: SnapshotData }>;

// Saved into the .ipynb: the server's snapshot bounds (`SNAPSHOT_*` in
// `jupyter_sse/wire/bounds.py`) keep the file small.
const SAVED_METRIC_POINTS = 1000;
const SAVED_TABLE_ROWS = 100;
const SAVED_LOG_LINES = 200;

/** The state of every channel `stores` hold, bounded for saving. */
export function saveState(stores: readonly ChannelStore[]): SavedState {
	const saved: SavedState = {};
	const part = (channel: string): SnapshotData => {
		const entry = (saved[channel] ??= { ts: 0, snapshot: {} });
		return entry.snapshot;
	};
	for (const store of stores) {
		for (const { channel, ts, id: _id, ...data } of Object.values(store.progress)) {
			(part(channel).progress ??= {})[data.key] = data;
			bump(saved, channel, ts);
		}
		for (const { channel, ts, key, value, variant } of Object.values(store.status)) {
			(part(channel).status ??= {})[key] = { key, value, variant };
			bump(saved, channel, ts);
		}
		for (const series of Object.values(store.metrics)) {
			const points = series.toSnapshot(SAVED_METRIC_POINTS);
			if (points.length > 0) part(series.channel).metric = points;
		}
		for (const { channel, name, rows } of Object.values(store.tables)) {
			(part(channel).table ??= {})[name] = rows.slice(-SAVED_TABLE_ROWS).map((row) => ({ ...row }));
		}
		for (const { channel, ts, text, level } of store.log.slice(-SAVED_LOG_LINES)) {
			(part(channel).log ??= []).push({ ts, text, level });
		}
		for (const { channel, ts, type, data } of Object.values(store.other)) {
			(part(channel).other ??= {})[type] = data;
			bump(saved, channel, ts);
		}
	}
	return saved;
}

/** Shows saved state in stores that have nothing yet (before, or without, a live stream). */
export function restoreState(
	stores: readonly ChannelStore[],
	saved: SavedState | null | undefined,
): void {
	if (!saved) return;
	for (const store of stores) {
		if (store.loaded) continue;
		const batch = Object.entries(saved)
			.filter(([channel]) => store.matches(channel))
			.map(([channel, { ts, snapshot }]) => ({ channel, type: "snapshot", ts, data: snapshot }));
		if (batch.length > 0) store.apply(batch);
	}
}

/**
 * Calls `save` with the stores' state after they change, at most once per `intervalMs`
 * (a save is a message to the kernel and, on notebook save, bytes in the file), and
 * only when the state differs from the last one saved. Returns a stop function.
 */
export function persistState(
	stores: readonly ChannelStore[],
	save: (state: SavedState) => void,
	intervalMs = 2000,
): () => void {
	let timer: ReturnType<typeof setTimeout> | null = null;
	let last = "";
	const flush = (): void => {
		timer = null;
		const state = saveState(stores);
		const json = JSON.stringify(state);
		if (json === last) return;
		last = json;
		save(state);
	};
	const stopEffects = $effect.root(() => {
		$effect(() => {
			// Reading every store's revision subscribes this effect to all their changes.
			const revisions = stores.map((store) => store.revision);
			if (revisions.some((revision) => revision > 0)) timer ??= setTimeout(flush, intervalMs);
		});
	});
	return () => {
		stopEffects();
		if (timer !== null) clearTimeout(timer);
	};
}

function bump(saved: SavedState, channel: string, ts: number): void {
	const entry = saved[channel];
	if (entry && ts > entry.ts) entry.ts = ts;
}
