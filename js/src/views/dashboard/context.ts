/**
 * What every dashboard route shares, handed down by `src/routes/+layout.svelte`: the
 * server's config, the theme and the paths. One typed key, so a page cannot read it wrong.
 */
import { getContext, setContext } from "svelte";
import type { DashboardConfig } from "./config.js";
import type { DashboardPaths } from "./paths.js";
import type { Theme } from "./theme.svelte.js";

export interface DashboardContext {
	config: DashboardConfig;
	theme: Theme;
	paths: DashboardPaths;
}

const KEY = Symbol("jupyter-sse dashboard");

export function setDashboardContext(context: DashboardContext): void {
	setContext(KEY, context);
}

export function getDashboardContext(): DashboardContext {
	const context = getContext<DashboardContext | undefined>(KEY);
	if (context === undefined) {
		throw new Error("jupyter-sse: a dashboard page must be rendered inside its layout");
	}
	return context;
}
