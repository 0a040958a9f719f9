/**
 * The anywidget entry: `LiveView` in `jupyter_sse/kernel/widget.py` loads this module.
 *
 * Each rendered output registers its channels on the page's shared client (one stream
 * per page, see `SseClient`), shows saved state until the stream delivers, mounts the
 * view, and writes the latest state back to the model so that it is saved with the
 * notebook.
 */
import "./app.css";
import type { AnyModel, Render } from "@anywidget/types";
import { mount, unmount } from "svelte";
import { ChatApi, pageBaseUrl } from "$lib/sse";
import { pageClients, persistState, restoreState, type SavedState } from "$lib/state";
import LiveView from "./views/LiveView.svelte";

/** The synced traits of `LiveView` (Python). */
interface Model {
	channels: string[];
	state: SavedState;
}

/** Shows `channels` in `root` until the returned function is called. */
function show(model: AnyModel<Model>, root: HTMLElement): () => void {
	const baseUrl = pageBaseUrl();
	const { client, registration } = pageClients.register(baseUrl, model.get("channels"));
	const stores = registration.stores;
	restoreState(stores, model.get("state"));
	const view = mount(LiveView, {
		target: root,
		props: { stores, connection: client.connection, chatApi: new ChatApi(baseUrl) },
	});
	const stopPersist = persistState(stores, (state) => {
		model.set("state", state);
		try {
			model.save_changes();
		} catch {
			// A notebook reopened without a kernel has no comm to sync over (ipywidgets
			// throws); the model's local state is still what the notebook saves.
		}
	});
	return () => {
		stopPersist();
		void unmount(view);
		registration.release();
	};
}

const render: Render<Model> = ({ model, el }) => {
	const root = document.createElement("div");
	root.className = "jupyter-sse";
	el.append(root);
	let hide = show(model, root);
	const onChannels = (): void => {
		hide();
		hide = show(model, root);
	};
	model.on("change:channels", onChannels);
	return () => {
		model.off("change:channels", onChannels);
		hide();
		root.remove();
	};
};

export default { render };
