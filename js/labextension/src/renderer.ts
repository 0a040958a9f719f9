/**
 * The MIME renderer of `application/vnd.jupyter-sse.view+json` (DESIGN.md, "Notebook
 * outputs"): the output draws its channels straight from the server's stream, with no
 * kernel and no comm, so it is live again after a reload, a reopened tab or a kernel
 * restart while the cell still runs.
 *
 * The last state is written into the output's own metadata (under the MIME type), so
 * it is saved in the .ipynb with the output it belongs to: a notebook reopened after
 * the server forgot the channel (a restarted embedded broker), opened on another
 * server, or rendered by a tool that never talks to a server still has it. The data
 * stays what the kernel sent.
 */
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import type { TranslationBundle } from "@jupyterlab/translation";
import { Widget } from "@lumino/widgets";
import { type LabSession, mountOutput, type SavedState } from "./views.js";

export const MIME_TYPE = "application/vnd.jupyter-sse.view+json";
/** The format version this renderer reads (`version` in the data). */
export const VIEW_VERSION = 1;
// Lower ranks win: the widget manager gives its view -10 on each notebook, so this one,
// below it, is what JupyterLab draws where the extension is installed.
export const RANK = -20;

interface ViewData {
	channels: string[];
	version: number;
}

/** The output's data, or null when it is not a view this renderer can draw. */
export function parseView(data: unknown): ViewData | null {
	if (typeof data !== "object" || data === null) return null;
	const { channels, version } = data as Record<string, unknown>;
	if (!Array.isArray(channels) || channels.length === 0) return null;
	if (!channels.every((channel) => typeof channel === "string")) return null;
	if (typeof version !== "number") return null;
	return { channels: channels as string[], version };
}

function savedOf(metadata: unknown): SavedState | null {
	if (typeof metadata !== "object" || metadata === null) return null;
	const state = (metadata as { state?: unknown }).state;
	return typeof state === "object" && state !== null ? (state as SavedState) : null;
}

export class LiveOutput extends Widget implements IRenderMime.IRenderer {
	readonly #session: LabSession;
	readonly #trans: TranslationBundle;
	#model: IRenderMime.IMimeModel | null = null;
	#shown = "";
	#hide: (() => void) | null = null;

	constructor(session: LabSession, trans: TranslationBundle) {
		super();
		this.#session = session;
		this.#trans = trans;
		this.addClass("jp-sse-output");
	}

	async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
		this.#model = model;
		const view = parseView(model.data[MIME_TYPE]);
		if (view === null || view.version > VIEW_VERSION) {
			this.#clear();
			this.node.textContent = this.#trans.__(
				"This live view needs another version of the jupyter-sse extension.",
			);
			return;
		}
		// JupyterLab renders the output again after the state below is saved into it:
		// the same channels keep their view (and their stream) as they are.
		const key = JSON.stringify(view.channels);
		if (key === this.#shown) return;
		this.#clear();
		this.#shown = key;
		this.#hide = mountOutput(this.#session, this.node, {
			channels: view.channels,
			saved: savedOf(model.metadata[MIME_TYPE]),
			save: (state) => this.#save(state),
		});
	}

	#save(state: SavedState): void {
		const model = this.#model;
		if (model === null || this.isDisposed) return;
		// SavedState is JSON (snapshot shapes), which its TypeScript type cannot show.
		const entry = { state } as unknown as (typeof model.metadata)[string];
		model.setData({ metadata: { ...model.metadata, [MIME_TYPE]: entry } });
	}

	#clear(): void {
		this.#hide?.();
		this.#hide = null;
		this.#shown = "";
		this.node.textContent = "";
	}

	override dispose(): void {
		if (this.isDisposed) return;
		this.#clear();
		super.dispose();
	}
}

/** The factory JupyterLab's rendermime registry is given. */
export function rendererFactory(
	session: LabSession,
	trans: TranslationBundle,
): IRenderMime.IRendererFactory {
	return {
		// Draws only the channel names of its data through text nodes: safe untrusted.
		safe: true,
		mimeTypes: [MIME_TYPE],
		defaultRank: RANK,
		createRenderer: () => new LiveOutput(session, trans),
	};
}
