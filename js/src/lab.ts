/**
 * The Svelte side of the JupyterLab extension (`js/labextension`), built by
 * `vite.lab.config.ts` into `labextension/lib/views.js`, which the extension's plugins
 * import. Everything here is plain DOM in and functions out, so the extension needs
 * neither Svelte nor a Svelte loader in JupyterLab's webpack build.
 *
 * Its types are restated by hand in `labextension/src/views.d.ts`: keep the two in step.
 */
import "./app.css";
import "./views/lab/lab.css";
import { mount, unmount } from "svelte";
import LivePanel from "./views/lab/LivePanel.svelte";
import { showOutput, type OutputOptions } from "./views/lab/output.js";
import { LabSession, type LabSessionOptions } from "./views/lab/session.svelte.js";
import StatusItem from "./views/lab/StatusItem.svelte";
import type { Translate } from "./views/lab/translate.js";

export type { ChannelRow, LiveState, Notice } from "./views/lab/session.svelte.js";
export type { OutputOptions } from "./views/lab/output.js";
export type { Translate } from "./views/lab/translate.js";
export { LabSession };

/** The session of this page and server (one stream, one notification listener). */
export function createSession(options: LabSessionOptions): LabSession {
	return new LabSession(options);
}

/** The class the lab views' roots carry: the widget's tokens, mapped to JupyterLab's. */
const ROOT_CLASS = "jupyter-sse jp-sse-lab";

/** Draws a live output into `host` until the returned function is called. */
export function mountOutput(
	session: LabSession,
	host: HTMLElement,
	options: OutputOptions,
): () => void {
	const root = rootIn(host);
	const hide = showOutput(session, root, options);
	return () => {
		hide();
		root.remove();
	};
}

/** The status-bar item's content. */
export function mountStatus(
	session: LabSession,
	host: HTMLElement,
	props: { __: Translate; onOpen: () => void },
): () => void {
	const view = mount(StatusItem, { target: host, props: { session, ...props } });
	return () => void unmount(view);
}

/** The Live panel's content; its channel directory is live while it is mounted. */
export function mountPanel(
	session: LabSession,
	host: HTMLElement,
	props: {
		__: Translate;
		onOpen: (channel: string) => void;
		onShare: (channel: string) => void;
		onDashboard: () => void;
	},
): () => void {
	const root = rootIn(host);
	root.classList.add("h-full");
	const stopWatching = session.watchChannels();
	const view = mount(LivePanel, { target: root, props: { session, ...props } });
	return () => {
		void unmount(view);
		stopWatching();
		root.remove();
	};
}

function rootIn(host: HTMLElement): HTMLElement {
	const root = document.createElement("div");
	root.className = ROOT_CLASS;
	host.append(root);
	return root;
}
