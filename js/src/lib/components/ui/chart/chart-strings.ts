// Every word the chart and its toolbar show or announce, in one place, so that a
// translation replaces this module's values and nothing else.
import { formatValue } from "$lib/format.js";

export const chartStrings = {
	toolbar: "Chart tools",
	smoothing: "Smoothing",
	smoothingValue: (weight: number) => (weight === 0 ? "off" : weight.toFixed(2)),
	yScale: "Y axis scale",
	linear: "Linear",
	log: "Log",
	xAxis: "X axis",
	step: "Step",
	time: "Time",
	resetZoom: "Reset zoom",
	resetZoomHint: "Reset zoom (or double-click the chart)",
	downloadCsv: "Download CSV",
	downloadCsvHint: "Download the visible series as CSV",
	downloadPng: "Download PNG",
	downloadPngHint: "Download the chart as a PNG image",
	legend: "Series",
	show: (name: string) => `Show ${name}`,
	hide: (name: string) => `Hide ${name}`,
	smoothedColumn: (name: string) => `${name} (smoothed)`,
	noData: "Line chart, no data yet",
	summary: (names: readonly string[], x: string, points: number) =>
		`Line chart of ${names.join(", ")} by ${x}, ${points} ${points === 1 ? "point" : "points"}`,
	latest: (name: string, value: number | null, x: string, at: string | null) =>
		`${name} ${formatValue(value)}${at == null ? "" : ` at ${x} ${at}`}`,
	zoomed: "Zoomed: drag across the chart to zoom further, double-click to reset",
	logRefused: (name: string, value: number | null, x: string, at: string) =>
		`Log scale needs values above 0: ${name} is ${formatValue(value)} at ${x} ${at}. Showing a linear axis.`,
} as const;
