/**
 * "Share a channel": a small dialog for the link's scope and lifetime, then
 * `POST sse/tokens` (a scoped, read-only viewer link; the Jupyter token never leaves
 * the server) and the link copied to the clipboard.
 */
import { Clipboard, Dialog, Notification, showDialog } from "@jupyterlab/apputils";
import { URLExt } from "@jupyterlab/coreutils";
import { ServerConnection } from "@jupyterlab/services";
import type { TranslationBundle } from "@jupyterlab/translation";
import { Widget } from "@lumino/widgets";

interface ShareChoice {
	scope: string;
	ttl: number;
}

const LIFETIMES: [number, string][] = [
	[3600, "1 hour"],
	[8 * 3600, "8 hours"],
	[86400, "1 day"],
	[7 * 86400, "7 days"],
];

class ShareForm extends Widget implements Dialog.IBodyWidget<ShareChoice> {
	readonly #scope: HTMLSelectElement;
	readonly #ttl: HTMLSelectElement;

	constructor(channel: string, trans: TranslationBundle) {
		super();
		this.addClass("jp-sse-share");
		const scopes = [channel];
		const slash = channel.lastIndexOf("/");
		if (slash > 0) scopes.push(`${channel.slice(0, slash + 1)}*`);
		this.#scope = select(
			scopes.map((scope) => [scope, scope]),
			"jp-sse-share-scope",
		);
		this.#ttl = select(
			LIFETIMES.map(([seconds, label]) => [String(seconds), trans.__(label)]),
			"jp-sse-share-ttl",
		);
		this.node.append(
			field(trans.__("Channels the link shows"), this.#scope),
			field(trans.__("Link valid for"), this.#ttl),
			note(trans.__("Anyone with the link can watch these channels (read only) until it expires.")),
		);
	}

	getValue(): ShareChoice {
		return { scope: this.#scope.value, ttl: Number(this.#ttl.value) };
	}
}

/** Asks for the scope and lifetime, mints the link and copies it. */
export async function shareChannel(
	channel: string,
	trans: TranslationBundle,
): Promise<string | null> {
	const result = await showDialog({
		title: trans.__("Share %1", channel),
		body: new ShareForm(channel, trans),
		buttons: [
			Dialog.cancelButton({ label: trans.__("Cancel") }),
			Dialog.okButton({ label: trans.__("Copy link") }),
		],
	});
	if (!result.button.accept || result.value === null) return null;
	const settings = ServerConnection.makeSettings();
	const response = await ServerConnection.makeRequest(
		URLExt.join(settings.baseUrl, "sse/tokens"),
		{
			method: "POST",
			body: JSON.stringify({ channels: [result.value.scope], ttl: result.value.ttl }),
		},
		settings,
	);
	const body = (await response.json().catch(() => ({}))) as { url?: string; error?: string };
	if (!response.ok || typeof body.url !== "string") {
		Notification.error(trans.__("No link: %1", body.error ?? response.statusText));
		return null;
	}
	Clipboard.copyToSystem(body.url);
	Notification.success(trans.__("Link to %1 copied: %2", result.value.scope, body.url), {
		autoClose: 8000,
	});
	return body.url;
}

function select(options: [string, string][], className: string): HTMLSelectElement {
	const element = document.createElement("select");
	element.className = `jp-mod-styled ${className}`;
	for (const [value, label] of options) element.append(new Option(label, value));
	return element;
}

function field(label: string, control: HTMLElement): HTMLLabelElement {
	const element = document.createElement("label");
	element.className = "jp-sse-share-field";
	element.append(document.createTextNode(label), control);
	return element;
}

function note(text: string): HTMLParagraphElement {
	const element = document.createElement("p");
	element.className = "jp-sse-share-note";
	element.textContent = text;
	return element;
}
