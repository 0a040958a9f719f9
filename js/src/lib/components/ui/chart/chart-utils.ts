// Shared helpers for the charts: series colors from the theme's chart tokens, and the
// theme colors a canvas needs (canvas cannot use CSS variables, so they are resolved).

/** Number of `--chart-N` tokens in the shadcn theme; series colors cycle through them. */
export const CHART_TOKEN_COUNT = 5;

// Literal class names so Tailwind's source scan sees every one of them.
const SWATCH_CLASSES = ["bg-chart-1", "bg-chart-2", "bg-chart-3", "bg-chart-4", "bg-chart-5"];

/** The `--chart-N` variable of the series at `index`. */
export function seriesToken(index: number): string {
	return `--chart-${(index % CHART_TOKEN_COUNT) + 1}`;
}

/** The Tailwind background class (`bg-chart-N`) of the series at `index`. */
export function seriesSwatchClass(index: number): string {
	return SWATCH_CLASSES[index % CHART_TOKEN_COUNT] ?? "bg-chart-1";
}

/** How the y axis maps values: evenly, or by order of magnitude. */
export type ChartScale = "linear" | "log";

export interface LegendItem {
	name: string;
	/** Shown after the name; `undefined` shows the name alone. */
	value?: number | null;
	/** The series colour (`--chart-N`, cycling); defaults to the item's position. */
	color?: number;
	/** Shown struck through, without its value. */
	hidden?: boolean;
}

/** One line of a chart: `values[i]` belongs to the chart's `x[i]`; `null` is a gap. */
export interface ChartSeries {
	name: string;
	values: ArrayLike<number | null>;
	/** The series colour (`--chart-N`, cycling); defaults to the series' position. */
	color?: number;
}

export interface ChartTheme {
	series: string[];
	background: string;
	foreground: string;
	mutedForeground: string;
	border: string;
	font: string;
	fontFamily: string;
}

/**
 * Resolves the theme tokens as seen from `el`, so tokens scoped to the widget root
 * (and nested `var()` or `color-mix()` in them) apply. Each token is resolved through
 * the probe's computed `color`, which a canvas accepts as a stroke style.
 */
export function readChartTheme(el: HTMLElement, probe: HTMLElement): ChartTheme {
	const resolve = (token: string): string => {
		probe.style.color = `var(${token})`;
		return getComputedStyle(probe).color;
	};
	const style = getComputedStyle(el);
	const series: string[] = [];
	for (let i = 0; i < CHART_TOKEN_COUNT; i++) series.push(resolve(seriesToken(i)));
	return {
		series,
		background: resolve("--background"),
		foreground: resolve("--foreground"),
		mutedForeground: resolve("--muted-foreground"),
		border: resolve("--border"),
		font: `11px ${style.fontFamily || "sans-serif"}`,
		fontFamily: style.fontFamily || "sans-serif",
	};
}

/** Calls `onchange` whenever the page may have switched theme; returns the teardown. */
export function watchTheme(onchange: () => void): () => void {
	const observer = new MutationObserver(onchange);
	const options: MutationObserverInit = {
		attributes: true,
		attributeFilter: ["class", "style", "data-theme", "data-jp-theme-light", "data-jp-theme-name"],
	};
	observer.observe(document.documentElement, options);
	if (document.body) observer.observe(document.body, options);
	const media = window.matchMedia?.("(prefers-color-scheme: dark)");
	media?.addEventListener("change", onchange);
	return () => {
		observer.disconnect();
		media?.removeEventListener("change", onchange);
	};
}
