// What the chart hands out: its visible series as CSV text (every point in the zoomed
// range, not the drawn subset) and its canvas as a PNG with the title and the legend
// drawn above the plot, as files the browser downloads.
import { lowerBound, upperBound, type Values } from "./downsample.js";

export interface CsvColumn {
	name: string;
	values: Values;
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
export function csvField(text: string): string {
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV text of `columns` against `x`: a header row (`xName`, then the column names) and
 * one row per point with x in `[min, max]` (every point when a bound is null). Missing
 * values are empty fields; x is written by `formatX`.
 */
export function toCsv(
	xName: string,
	x: ArrayLike<number>,
	columns: readonly CsvColumn[],
	min: number | null,
	max: number | null,
	formatX: (v: number) => string = String,
): string {
	const start = min == null ? 0 : lowerBound(x, min);
	const end = max == null ? x.length : upperBound(x, max) + 1;
	const lines = [[xName, ...columns.map((c) => c.name)].map(csvField).join(",")];
	for (let i = start; i < end; i++) {
		let line = csvField(formatX(x[i] ?? 0));
		for (const column of columns) {
			const v = column.values[i];
			line += v == null ? "," : `,${v}`;
		}
		lines.push(line);
	}
	return lines.join("\r\n") + "\r\n";
}

/** A file name from a chart title: letters, digits, dots and dashes. */
export function fileName(title: string, extension: string): string {
	const stem = title.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "chart";
	return `${stem}.${extension}`;
}

/** Has the browser save `blob` as `name` (a download, no navigation). */
export function saveFile(blob: Blob, name: string): void {
	const url = URL.createObjectURL(blob);
	const link = document.createElement("a");
	link.href = url;
	link.download = name;
	link.rel = "noopener";
	link.style.display = "none";
	document.body.append(link);
	link.click();
	link.remove();
	// Revoked later: the download reads the URL after the click returns.
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export interface PngLegendItem {
	name: string;
	color: string;
}

export interface PngParts {
	plot: HTMLCanvasElement;
	title: string;
	legend: readonly PngLegendItem[];
	background: string;
	foreground: string;
	muted: string;
	fontFamily: string;
}

/** The plot's canvas under a title and a legend row, as a PNG blob. */
export function chartPng(parts: PngParts): Promise<Blob> {
	const { plot } = parts;
	const ratio = plot.width / Math.max(1, plot.clientWidth || plot.width);
	const pad = Math.round(12 * ratio);
	const titleSize = Math.round(14 * ratio);
	const legendSize = Math.round(12 * ratio);
	const canvas = document.createElement("canvas");
	canvas.width = plot.width + 2 * pad;
	canvas.height = pad + titleSize + pad / 2 + legendSize + pad + plot.height + pad;
	const ctx = canvas.getContext("2d");
	if (!ctx) return Promise.reject(new Error("this browser cannot draw on a canvas"));
	ctx.fillStyle = parts.background;
	ctx.fillRect(0, 0, canvas.width, canvas.height);
	ctx.textBaseline = "top";
	ctx.fillStyle = parts.foreground;
	ctx.font = `600 ${titleSize}px ${parts.fontFamily}`;
	ctx.fillText(parts.title, pad, pad);
	let left = pad;
	const legendTop = pad + titleSize + pad / 2;
	ctx.font = `${legendSize}px ${parts.fontFamily}`;
	for (const item of parts.legend) {
		ctx.fillStyle = item.color;
		ctx.fillRect(left, legendTop + legendSize * 0.15, legendSize * 0.8, legendSize * 0.8);
		left += legendSize * 1.2;
		ctx.fillStyle = parts.muted;
		ctx.fillText(item.name, left, legendTop);
		left += ctx.measureText(item.name).width + legendSize * 1.5;
	}
	ctx.drawImage(plot, pad, legendTop + legendSize + pad);
	return new Promise((resolve, reject) =>
		canvas.toBlob(
			(blob) => (blob ? resolve(blob) : reject(new Error("the chart could not be encoded"))),
			"image/png",
		),
	);
}
