// Every word the chart and its toolbar show or announce, in one place: each is a
// message of the catalogue (`$lib/i18n`), read when drawn, so a switch of language
// redraws them.
import { formatCount, formatValue } from "$lib/format.js";
import { m } from "$lib/i18n";

export const chartStrings = {
	get toolbar() {
		return m.chart_toolbar();
	},
	get smoothing() {
		return m.chart_smoothing();
	},
	smoothingValue: (weight: number) => (weight === 0 ? m.chart_smoothing_off() : weight.toFixed(2)),
	get yScale() {
		return m.chart_y_scale();
	},
	get linear() {
		return m.chart_linear();
	},
	get log() {
		return m.chart_log();
	},
	get xAxis() {
		return m.chart_x_axis();
	},
	get step() {
		return m.chart_step();
	},
	get time() {
		return m.chart_time();
	},
	/** The x axis's name as shown and announced: "time" and "step" in the page's
	 * language, any other name as given. */
	axisWord: (name: string) => (name === "time" ? m.x_time() : name === "step" ? m.x_step() : name),
	get resetZoom() {
		return m.chart_reset_zoom();
	},
	get resetZoomHint() {
		return m.chart_reset_zoom_hint();
	},
	get downloadCsv() {
		return m.chart_download_csv();
	},
	get downloadCsvHint() {
		return m.chart_download_csv_hint();
	},
	get downloadPng() {
		return m.chart_download_png();
	},
	get downloadPngHint() {
		return m.chart_download_png_hint();
	},
	get legend() {
		return m.chart_legend();
	},
	show: (name: string) => m.chart_show({ name }),
	hide: (name: string) => m.chart_hide({ name }),
	// A CSV column name: kept in English whatever the page's language, so that a file
	// exported in one language reads the same in a script written for another.
	smoothedColumn: (name: string) => `${name} (smoothed)`,
	get noData() {
		return m.chart_empty();
	},
	summary: (names: readonly string[], x: string, points: number) =>
		m.chart_summary({ names: names.join(", "), x, count: points, n: formatCount(points) }),
	latest: (name: string, value: number | null, x: string, at: string | null) =>
		at == null
			? `${name} ${formatValue(value)}`
			: m.chart_value_at({ name, value: formatValue(value), x, at }),
	get zoomed() {
		return m.chart_zoomed();
	},
	logRefused: (name: string, value: number | null, x: string, at: string) =>
		m.chart_log_refused({ name, value: formatValue(value), x, at }),
};
