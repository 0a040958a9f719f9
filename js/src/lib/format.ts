/**
 * How numbers, durations and times read, everywhere on the page. One locale for all:
 * the output (and the tests that pin it) is the same on every machine.
 */
const LOCALE = "en-US";

const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const compactRate = new Intl.NumberFormat(LOCALE, {
	notation: "compact",
	maximumFractionDigits: 1,
});
const significant = new Intl.NumberFormat(LOCALE, { maximumSignificantDigits: 4 });
const compactValue = new Intl.NumberFormat(LOCALE, {
	notation: "compact",
	maximumSignificantDigits: 3,
});
const cellNumber = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 4 });

const pad2 = (n: number): string => String(n).padStart(2, "0");

// --- counts and measured values --------------------------------------------------------

/** `1234` → `"1,234"`; fractional counts keep up to two decimals. */
export function formatCount(n: number): string {
	if (!Number.isFinite(n)) return "–";
	if (Number.isInteger(n)) return integer.format(n);
	return n.toLocaleString(LOCALE, { maximumFractionDigits: 2 });
}

/** `n` and the noun, singular or plural: "1 event", "1,200 events". */
export function plural(n: number, noun: string): string {
	return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** A metric value for a legend, a badge or a screen reader: `0.3142`, `12.5k`, `1.2e-5`. */
export function formatValue(v: number | null | undefined): string {
	if (v == null || Number.isNaN(v)) return "–";
	const a = Math.abs(v);
	if (a !== 0 && (a < 1e-3 || a >= 1e15)) return v.toExponential(2);
	if (a >= 1e5) return compactValue.format(v);
	return significant.format(v);
}

/** A table cell as text: numbers rounded for reading, objects as compact JSON. */
export function formatCell(value: unknown): string {
	if (value == null) return "–";
	if (typeof value === "number") {
		return Number.isFinite(value) ? cellNumber.format(value) : String(value);
	}
	if (typeof value === "string") return value;
	if (typeof value === "boolean" || typeof value === "bigint") return String(value);
	try {
		return JSON.stringify(value);
	} catch {
		return String(value);
	}
}

// --- progress: rates and durations ---------------------------------------------------

/**
 * A duration in seconds, to two units at most: `"<1s"`, `"42s"`, `"3m 05s"`,
 * `"2h 03m"`, `"1d 04h"`. `null` for a value that is not a duration (negative, NaN).
 */
export function formatDuration(seconds: number | null | undefined): string | null {
	if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return null;
	if (seconds < 1) return "<1s";
	const s = Math.round(seconds);
	if (s < 60) return `${s}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ${pad2(Math.floor((s % 3600) / 60))}m`;
	return `${Math.floor(s / 86400)}d ${pad2(Math.floor((s % 86400) / 3600))}h`;
}

/**
 * A rate in units per second. Slow rates flip to seconds per unit as tqdm does
 * (`"2.50 s/it"`), because "0.4 it/s" is harder to read than "2.50 s/it".
 */
export function formatRate(rate: number | null | undefined, unit = "it"): string | null {
	if (rate == null || !Number.isFinite(rate) || rate <= 0) return null;
	if (rate < 1) return `${(1 / rate).toFixed(2)} s/${unit}`;
	if (rate < 100) return `${rate.toFixed(1)} ${unit}/s`;
	return `${compactRate.format(rate)} ${unit}/s`;
}

/** The remaining time: the event's own `eta` when it has one, else derived from the rate. */
export function estimateEta(
	value: number,
	total: number | null | undefined,
	rate: number | null | undefined,
	eta: number | null | undefined,
): number | null {
	if (eta != null && Number.isFinite(eta)) return Math.max(0, eta);
	if (total == null || rate == null || !(rate > 0)) return null;
	return Math.max(0, (total - value) / rate);
}

// --- times (server time is epoch seconds) ----------------------------------------------

/**
 * Server time as local HH:MM:SS. By hand: `toLocaleTimeString` costs more than drawing
 * the rest of a log line.
 */
export function clock(ts: number): string {
	const d = new Date(ts * 1000);
	return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago" for a server time. */
export function timeAgo(ts: number, nowMs: number = Date.now()): string {
	const seconds = Math.max(0, Math.round(nowMs / 1000 - ts));
	if (seconds < 5) return "just now";
	if (seconds < 60) return `${seconds} s ago`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
	if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
	return `${Math.floor(seconds / 86400)} d ago`;
}

// --- chat and system ----------------------------------------------------------------

const hourMinute = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
const dayHourMinute = new Intl.DateTimeFormat(LOCALE, {
	month: "short",
	day: "numeric",
	hour: "2-digit",
	minute: "2-digit",
});
const fullDate = new Intl.DateTimeFormat(LOCALE, { dateStyle: "full", timeStyle: "medium" });
const oneDecimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

/** A chat message's time: "09:41" today, "Dec 4, 09:41" before. */
export function chatTime(ts: number, nowMs: number = Date.now()): string {
	const when = new Date(ts * 1000);
	const now = new Date(nowMs);
	const today = when.toDateString() === now.toDateString();
	return (today ? hourMinute : dayHourMinute).format(when);
}

/** The whole date and time, for a tooltip or `<time datetime>`'s title. */
export function fullTime(ts: number): string {
	return fullDate.format(new Date(ts * 1000));
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** `1536` → `"1.5 KiB"`; null (not measured) → "–". */
export function formatBytes(n: number | null | undefined): string {
	if (n == null || !Number.isFinite(n)) return "–";
	let value = n;
	let unit = 0;
	while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit += 1;
	}
	return `${oneDecimal.format(value)} ${BYTE_UNITS[unit]}`;
}

/** `12.345` → `"12.3%"`; null (not measured yet) → "–". */
export function formatPercent(n: number | null | undefined): string {
	if (n == null || !Number.isFinite(n)) return "–";
	return `${oneDecimal.format(n)}%`;
}
