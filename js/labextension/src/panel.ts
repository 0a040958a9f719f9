/**
 * The Live panel (right area): the user's channels with their subscriber counts and
 * last activity, kept live by the page's stream while the panel is shown; a channel
 * opens as a live view in the main area or is shared through a viewer link.
 */
import { MainAreaWidget } from "@jupyterlab/apputils";
import type { TranslationBundle } from "@jupyterlab/translation";
import { LabIcon } from "@jupyterlab/ui-components";
import { Widget } from "@lumino/widgets";
import { type LabSession, mountOutput, mountPanel } from "./views.js";

// A radio tower: what "live" looks like in the side bar.
const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16"><g class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" stroke-linecap="round"><path d="M4.9 19.1C1 15.2 1 8.8 4.9 4.9"/><path d="M7.8 16.2c-2.3-2.3-2.3-6.1 0-8.5"/><circle cx="12" cy="12" r="2"/><path d="M16.2 7.8c2.3 2.3 2.3 6.1 0 8.5"/><path d="M19.1 4.9C23 8.8 23 15.1 19.1 19"/></g></svg>`;

export const liveIcon = new LabIcon({ name: "jupyter-sse:live", svgstr: ICON_SVG });

export interface PanelActions {
	openChannel: (channel: string) => void;
	share: (channel: string) => void;
	openDashboard: () => void;
}

export class LivePanel extends Widget {
	readonly #session: LabSession;
	readonly #trans: TranslationBundle;
	readonly #actions: PanelActions;
	#unmount: (() => void) | null = null;

	constructor(session: LabSession, trans: TranslationBundle, actions: PanelActions) {
		super();
		this.#session = session;
		this.#trans = trans;
		this.#actions = actions;
		this.id = "jupyter-sse-live-panel";
		this.addClass("jp-sse-panel");
		this.title.icon = liveIcon;
		this.title.caption = trans.__("Live channels");
		this.node.setAttribute("role", "region");
		this.node.setAttribute("aria-label", trans.__("Live channels"));
	}

	// The directory costs a `*` subscription: held only while the panel is shown.
	protected override onAfterShow(): void {
		this.#mount();
	}

	protected override onAfterAttach(): void {
		if (this.isVisible) this.#mount();
	}

	protected override onAfterHide(): void {
		this.#unmountNow();
	}

	protected override onBeforeDetach(): void {
		this.#unmountNow();
	}

	#mount(): void {
		if (this.#unmount !== null) return;
		this.#unmount = mountPanel(this.#session, this.node, {
			__: (text, ...args) => this.#trans.__(text, ...args),
			onOpen: this.#actions.openChannel,
			onShare: this.#actions.share,
			onDashboard: this.#actions.openDashboard,
		});
	}

	#unmountNow(): void {
		this.#unmount?.();
		this.#unmount = null;
	}

	override dispose(): void {
		if (this.isDisposed) return;
		this.#unmountNow();
		super.dispose();
	}
}

/** A channel as a live view of its own in the main area (no notebook, no kernel). */
export function channelView(
	session: LabSession,
	trans: TranslationBundle,
	channel: string,
): MainAreaWidget {
	const content = new Widget();
	content.addClass("jp-sse-channel-view");
	const hide = mountOutput(session, content.node, {
		channels: [channel],
		saved: null,
		save: () => {},
	});
	content.disposed.connect(hide);
	const widget = new MainAreaWidget({ content });
	widget.id = `jupyter-sse-channel-${channel}`;
	widget.title.label = trans.__("Live: %1", channel);
	widget.title.icon = liveIcon;
	widget.title.closable = true;
	return widget;
}
