/**
 * The JupyterLab (and Notebook 7) extension of jupyter-sse, one plugin:
 *
 * - a MIME renderer for `application/vnd.jupyter-sse.view+json` that draws notebook
 *   outputs straight from the server's stream (`renderer.ts`);
 * - `notify` events of the channels on the page (or, by setting, of every channel)
 *   through JupyterLab's notifications, once each however many outputs show them;
 * - a status-bar item with the stream's state and rate (`status.ts`), which opens
 *   the Live panel (`panel.ts`), where channels open as views or are shared (`share.ts`).
 *
 * The Svelte views come prebuilt from `js/src/lab.ts` as `./views.js`.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, Notification } from "@jupyterlab/apputils";
import { PageConfig, URLExt } from "@jupyterlab/coreutils";
import { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import { ServerConnection } from "@jupyterlab/services";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { IStatusBar } from "@jupyterlab/statusbar";
import { ITranslator, nullTranslator, type TranslationBundle } from "@jupyterlab/translation";
import { channelView, LivePanel } from "./panel.js";
import { rendererFactory } from "./renderer.js";
import { shareChannel } from "./share.js";
import { LiveStatus } from "./status.js";
import { createSession, type Notice } from "./views.js";

const PLUGIN_ID = "jupyter-sse:plugin";
const DOMAIN = "jupyter_sse";

export const CommandIDs = {
	openPanel: "jupyter-sse:open-panel",
	openDashboard: "jupyter-sse:open-dashboard",
	openChannel: "jupyter-sse:open-channel",
	share: "jupyter-sse:share-channel",
} as const;

const LEVELS: Record<Notice["level"], "default" | "info" | "success" | "warning" | "error"> = {
	debug: "default",
	info: "info",
	success: "success",
	warning: "warning",
	error: "error",
};

/** Hands a `notify` event to JupyterLab's toasts and notification centre. */
function notifyLab(notice: Notice): void {
	const text = notice.title ? `${notice.title}: ${notice.message}` : notice.message;
	Notification.emit(`[${notice.channel}] ${text}`, LEVELS[notice.level] ?? "info", {
		// Errors and warnings wait to be read; the rest fade like any toast.
		autoClose: notice.level === "error" || notice.level === "warning" ? false : 5000,
	});
}

async function getJson(path: string): Promise<unknown> {
	const settings = ServerConnection.makeSettings();
	const response = await ServerConnection.makeRequest(
		URLExt.join(settings.baseUrl, path),
		{},
		settings,
	);
	const body: unknown = await response.json();
	if (!response.ok) {
		const reason = (body as { error?: unknown } | null)?.error;
		throw new Error(typeof reason === "string" ? reason : `HTTP ${response.status}`);
	}
	return body;
}

function activate(
	app: JupyterFrontEnd,
	rendermime: IRenderMimeRegistry,
	translator: ITranslator | null,
	statusBar: IStatusBar | null,
	settings: ISettingRegistry | null,
	palette: ICommandPalette | null,
): void {
	const trans: TranslationBundle = (translator ?? nullTranslator).load(DOMAIN);
	const session = createSession({
		baseUrl: ServerConnection.makeSettings().baseUrl,
		getJson,
		notify: notifyLab,
	});
	rendermime.addFactory(rendererFactory(session, trans));

	const panel = new LivePanel(session, trans, {
		openChannel: (channel) => void app.commands.execute(CommandIDs.openChannel, { channel }),
		share: (channel) => void app.commands.execute(CommandIDs.share, { channel }),
		openDashboard: () => void app.commands.execute(CommandIDs.openDashboard),
	});
	app.shell.add(panel, "right", { rank: 900 });

	app.commands.addCommand(CommandIDs.openPanel, {
		label: trans.__("Show the Live panel"),
		execute: () => app.shell.activateById(panel.id),
	});
	app.commands.addCommand(CommandIDs.openDashboard, {
		label: trans.__("Open the live dashboard"),
		execute: () => {
			window.open(URLExt.join(PageConfig.getBaseUrl(), "sse/dashboard"), "_blank", "noopener");
		},
	});
	app.commands.addCommand(CommandIDs.openChannel, {
		label: (args) => trans.__("Open %1 as a live view", String(args.channel ?? "")),
		execute: (args) => {
			const channel = String(args.channel ?? "");
			const id = `jupyter-sse-channel-${channel}`;
			for (const widget of app.shell.widgets("main")) {
				if (widget.id === id) return app.shell.activateById(id);
			}
			app.shell.add(channelView(session, trans, channel), "main");
		},
	});
	app.commands.addCommand(CommandIDs.share, {
		label: trans.__("Share a live channel"),
		execute: (args) => shareChannel(String(args.channel ?? ""), trans),
	});
	if (palette) {
		const category = trans.__("Live");
		palette.addItem({ command: CommandIDs.openPanel, category });
		palette.addItem({ command: CommandIDs.openDashboard, category });
	}

	statusBar?.registerStatusItem("jupyter-sse:status", {
		item: new LiveStatus(session, trans, () => void app.commands.execute(CommandIDs.openPanel)),
		align: "left",
		rank: 100,
	});

	if (settings) {
		settings
			.load(PLUGIN_ID)
			.then((loaded) => {
				const apply = (): void => {
					session.notifyAll = loaded.get("notifyAllChannels").composite === true;
				};
				apply();
				loaded.changed.connect(apply);
			})
			.catch((error: unknown) => {
				// Without its settings the extension still works, with the defaults.
				console.warn("jupyter-sse: settings not loaded", error);
			});
	}
}

const plugin: JupyterFrontEndPlugin<void> = {
	id: PLUGIN_ID,
	description: "Live outputs from the stream, notifications, a status-bar item and a Live panel.",
	autoStart: true,
	requires: [IRenderMimeRegistry],
	optional: [ITranslator, IStatusBar, ISettingRegistry, ICommandPalette],
	activate,
};

export default plugin;
