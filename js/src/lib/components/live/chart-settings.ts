// What a person set on a chart (smoothing, y scale, x kind), remembered per chart in
// localStorage so that a reload or another tab shows it the same way. Bounded: the
// charts set most recently, at most `KEPT_CHART_SETTINGS` of them.
// The chart's modules themselves, not its index: that one loads uPlot.
import type { ChartScale } from "$lib/components/ui/chart/chart-utils.js";
import { clampSmoothing } from "$lib/components/ui/chart/smooth.js";

export const CHART_SETTINGS_KEY = "jupyter-sse:chart-settings";
export const KEPT_CHART_SETTINGS = 200;

export interface ChartSettings {
	smoothing: number;
	scale: ChartScale;
	xMode?: "step" | "time";
}

type Stored = Record<string, ChartSettings>;

function storage(): Storage | null {
	try {
		return window.localStorage;
	} catch {
		// Storage disabled (privacy mode, sandboxed frame): settings last for this page only.
		return null;
	}
}

function readAll(store: Storage | null): Stored {
	try {
		const parsed: unknown = JSON.parse(store?.getItem(CHART_SETTINGS_KEY) ?? "{}");
		return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Stored) : {};
	} catch {
		return {};
	}
}

/** The settings kept for chart `id`, checked (anything malformed reads as nothing). */
export function loadChartSettings(id: string, store = storage()): ChartSettings | null {
	const entry: unknown = readAll(store)[id];
	if (!entry || typeof entry !== "object") return null;
	const { smoothing, scale, xMode } = entry as Record<string, unknown>;
	if (typeof smoothing !== "number" || (scale !== "linear" && scale !== "log")) return null;
	const settings: ChartSettings = { smoothing: clampSmoothing(smoothing), scale };
	if (xMode === "step" || xMode === "time") settings.xMode = xMode;
	return settings;
}

/** Keeps `settings` for chart `id`, as the most recent; drops the oldest past the bound. */
export function saveChartSettings(id: string, settings: ChartSettings, store = storage()): void {
	const all = readAll(store);
	delete all[id];
	all[id] = settings;
	const ids = Object.keys(all);
	for (const old of ids.slice(0, Math.max(0, ids.length - KEPT_CHART_SETTINGS))) delete all[old];
	try {
		store?.setItem(CHART_SETTINGS_KEY, JSON.stringify(all));
	} catch {
		// Full or refused: the settings hold for this page.
	}
}
