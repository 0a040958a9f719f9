/**
 * The page's configuration, written inline by the server (`jupyter_sse/server/dashboard.py`)
 * as `<script id="jupyter-sse-config" type="application/json">`.
 */
export interface DashboardConfig {
	/** The Jupyter server's base URL, always ending in `/` (e.g. `/hub/user/alice/`). */
	baseUrl: string;
	/** The channels named in the page's `?channel=` query, in order. */
	channels: string[];
	/** True when the page was opened with a share link instead of a Jupyter login. */
	viewer: boolean;
	/** The channels or patterns a viewer may read; null for a Jupyter user (everything). */
	scope: string[] | null;
}

export const CONFIG_ELEMENT_ID = "jupyter-sse-config";

/** Reads the inline config; a missing or broken block gives a config for `/` with nothing selected. */
export function readConfig(doc: Document = document): DashboardConfig {
	let raw: unknown = null;
	const text = doc.getElementById(CONFIG_ELEMENT_ID)?.textContent;
	if (text) {
		try {
			raw = JSON.parse(text);
		} catch {
			// A hand-made or truncated page: fall back to the defaults below.
		}
	}
	return parseConfig(raw);
}

export function parseConfig(raw: unknown): DashboardConfig {
	const value = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
	const baseUrl = typeof value.baseUrl === "string" && value.baseUrl ? value.baseUrl : "/";
	return {
		baseUrl: baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`,
		channels: strings(value.channels) ?? [],
		viewer: value.viewer === true,
		scope: strings(value.scope),
	};
}

function strings(value: unknown): string[] | null {
	return Array.isArray(value)
		? value.filter((item): item is string => typeof item === "string")
		: null;
}
