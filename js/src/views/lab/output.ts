/**
 * One notebook output of the JupyterLab extension's renderer: the channels' stores on
 * the session's shared client, the saved state shown until (or instead of) the stream,
 * and the latest state handed back to be saved with the notebook.
 */
import type { Envelope, SnapshotData } from "$lib/sse";
import { persistState, restoreState, type SavedState } from "$lib/state";
import { mount, unmount } from "svelte";
import LiveView from "../LiveView.svelte";
import type { LabSession } from "./session.svelte.js";

export interface OutputOptions {
	channels: readonly string[];
	/** What the notebook saved for this output, if anything. */
	saved: SavedState | null;
	/** Called with the latest state (throttled) so the notebook saves it. */
	save: (state: SavedState) => void;
}

/** Draws the live view into `root` until the returned function is called. */
export function showOutput(
	session: LabSession,
	root: HTMLElement,
	options: OutputOptions,
): () => void {
	const registration = session.show(options.channels);
	const { stores } = registration;
	const saved = options.saved;
	restoreState(stores, saved);
	const client = session.client;
	if (client === null) throw new Error("jupyter-sse: the session lost its client while showing");
	// A server that no longer holds a channel (a restarted embedded broker) sends it an
	// empty snapshot, which would blank what the notebook saved: the saved state is the
	// last known one, so it comes back right after.
	const stopRestore = client.on("snapshot", (envelope: Envelope) => {
		const entry = saved?.[envelope.channel];
		if (!entry || !isEmpty(envelope.data as SnapshotData)) return;
		const store = stores.find((candidate) => candidate.matches(envelope.channel));
		if (!store) return;
		queueMicrotask(() =>
			store.apply([
				{ channel: envelope.channel, type: "snapshot", ts: entry.ts, data: entry.snapshot },
			]),
		);
	});
	// JupyterLab shows `notify` events as its own notifications (once per page): no
	// second toast inside each output.
	const view = mount(LiveView, {
		target: root,
		props: { stores, connection: client.connection, toasts: false },
	});
	const stopPersist = persistState(stores, options.save);
	return () => {
		stopPersist();
		stopRestore();
		void unmount(view);
		registration.release();
	};
}

const STATE_PARTS = ["progress", "status", "metric", "table", "log", "other"] as const;

function isEmpty(snapshot: SnapshotData): boolean {
	return STATE_PARTS.every((part) => {
		const value = snapshot[part];
		return value === undefined || Object.keys(value).length === 0;
	});
}
