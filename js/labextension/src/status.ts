/** The status-bar item: the live connection's state and event rate; a click opens the panel. */
import type { TranslationBundle } from "@jupyterlab/translation";
import { Widget } from "@lumino/widgets";
import { type LabSession, mountStatus } from "./views.js";

export class LiveStatus extends Widget {
	readonly #unmount: () => void;

	constructor(session: LabSession, trans: TranslationBundle, openPanel: () => void) {
		super();
		this.id = "jupyter-sse-status";
		this.addClass("jp-sse-status-item");
		this.#unmount = mountStatus(session, this.node, {
			__: (text, ...args) => trans.__(text, ...args),
			onOpen: openPanel,
		});
	}

	override dispose(): void {
		if (this.isDisposed) return;
		this.#unmount();
		super.dispose();
	}
}
