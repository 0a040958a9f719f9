/**
 * How numbers, durations and times read, everywhere on the page, in the page's locale
 * (`$lib/i18n` sets it; `en-US` until then, which the tests pin). Every formatter is an
 * `Intl` one, built once per locale.
 */
let currentLocale: () => string = () => "en-US";

/**
 * Where the formatters read the locale from. A getter, so that a template that formats
 * a number also depends on the locale and redraws when it changes.
 */
export function setFormatLocale(get: () => string): void {
	currentLocale = get;
}

const cache = new Map<string, unknown>();

function cached<T>(key: string, make: (locale: string) => T): T {
	const locale = currentLocale();
	const id = `${locale}\u0000${key}`;
	let value = cache.get(id) as T | undefined;
	if (value === undefined) {
		value = make(locale);
		cache.set(id, value);
	}
	return value;
}

const number = (key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat =>
	cached(key, (locale) => new Intl.NumberFormat(locale, options));
const integer = (): Intl.NumberFormat => number("integer", { maximumFractionDigits: 0 });
const twoDecimals = (): Intl.NumberFormat => number("two", { maximumFractionDigits: 2 });
const compactRate = (): Intl.NumberFormat =>
	number("rate", { notation: "compact", maximumFractionDigits: 1 });
const significant = (): Intl.NumberFormat => number("significant", { maximumSignificantDigits: 4 });
const compactValue = (): Intl.NumberFormat =>
	number("compact", { notation: "compact", maximumSignificantDigits: 3 });
const cellNumber = (): Intl.NumberFormat => number("cell", { maximumFractionDigits: 4 });
const fixed = (digits: number): Intl.NumberFormat =>
	number(`fixed${digits}`, { minimumFractionDigits: digits, maximumFractionDigits: digits });
const unit = (name: string): Intl.NumberFormat =>
	number(`unit-${name}`, { style: "unit", unit: name, unitDisplay: "narrow" });

const pad2 = (n: number): string => String(n).padStart(2, "0");

// --- counts and measured values --------------------------------------------------------

/** `1234` → `"1,234"`; fractional counts keep up to two decimals. */
export function formatCount(n: number): string {
	if (!Number.isFinite(n)) return "–";
	return (Number.isInteger(n) ? integer() : twoDecimals()).format(n);
}

/**
 * `n` and an English noun, singular or plural: "1 event", "1,200 events". For the
 * few strings not yet in the message catalogue; translated text uses `m.*` plurals.
 */
export function plural(n: number, noun: string): string {
	return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** A metric value for a legend, a badge or a screen reader: `0.3142`, `12.5k`, `1.2e-5`. */
export function formatValue(v: number | null | undefined): string {
	if (v == null || Number.isNaN(v)) return "–";
	const a = Math.abs(v);
	if (a !== 0 && (a < 1e-3 || a >= 1e15)) return v.toExponential(2);
	if (a >= 1e5) return compactValue().format(v);
	return significant().format(v);
}

/** A table cell as text: numbers rounded for reading, objects as compact JSON. */
export function formatCell(value: unknown): string {
	if (value == null) return "–";
	if (typeof value === "number") {
		return Number.isFinite(value) ? cellNumber().format(value) : String(value);
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
 * A duration in seconds, to two units at most: `"<1s"`, `"42s"`, `"3m 5s"`, `"2h 3m"`,
 * `"1d 4h"` in English, `"3 นาที 5 วิ."` in Thai. `null` for a value that is not a
 * duration (negative, NaN).
 */
export function formatDuration(seconds: number | null | undefined): string | null {
	if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return null;
	if (seconds < 1) return `<${unit("second").format(1)}`;
	const s = Math.round(seconds);
	const two = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
		`${unit(bigUnit).format(big)} ${unit(smallUnit).format(small)}`;
	if (s < 60) return unit("second").format(s);
	if (s < 3600) return two(Math.floor(s / 60), "minute", s % 60, "second");
	if (s < 86400) return two(Math.floor(s / 3600), "hour", Math.floor((s % 3600) / 60), "minute");
	return two(Math.floor(s / 86400), "day", Math.floor((s % 86400) / 3600), "hour");
}

/**
 * A rate in units per second. Slow rates flip to seconds per unit as tqdm does
 * (`"2.50 s/it"`), because "0.4 it/s" is harder to read than "2.50 s/it".
 */
export function formatRate(rate: number | null | undefined, unitName = "it"): string | null {
	if (rate == null || !Number.isFinite(rate) || rate <= 0) return null;
	if (rate < 1) return `${fixed(2).format(1 / rate)} s/${unitName}`;
	if (rate < 100) return `${fixed(1).format(rate)} ${unitName}/s`;
	return `${compactRate().format(rate)} ${unitName}/s`;
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
 * Server time as local hours, minutes and seconds, 24-hour, in the page's locale. The
 * formatter is built once per locale: `toLocaleTimeString` would build one per call,
 * which costs more than drawing the rest of a log line.
 */
export function clock(ts: number): string {
	return cached(
		"clock",
		(locale) =>
			new Intl.DateTimeFormat(locale, {
				hour: "2-digit",
				minute: "2-digit",
				second: "2-digit",
				hourCycle: "h23",
			}),
	).format(ts * 1000);
}

/** Server time as a full local date and time: `Dec 5, 2026, 04:03:11` (Thai: Buddhist era). */
export function formatDateTime(ts: number): string {
	return cached(
		"datetime",
		(locale) =>
			new Intl.DateTimeFormat(locale, {
				dateStyle: "medium",
				timeStyle: "medium",
				hourCycle: "h23",
			}),
	).format(ts * 1000);
}

/** "now", "12s ago", "5m ago", "3h ago", "2d ago" for a server time, in the page's locale. */
export function timeAgo(ts: number, nowMs: number = Date.now()): string {
	const seconds = Math.max(0, Math.round(nowMs / 1000 - ts));
	const relative = cached(
		"relative",
		(locale) => new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "narrow" }),
	);
	if (seconds < 5) return relative.format(0, "second");
	if (seconds < 60) return relative.format(-seconds, "second");
	if (seconds < 3600) return relative.format(-Math.floor(seconds / 60), "minute");
	if (seconds < 86400) return relative.format(-Math.floor(seconds / 3600), "hour");
	return relative.format(-Math.floor(seconds / 86400), "day");
}

// --- chat and system ----------------------------------------------------------------

const hourMinute = (): Intl.DateTimeFormat =>
	cached("hm", (l) => new Intl.DateTimeFormat(l, { hour: "2-digit", minute: "2-digit" }));
const dayHourMinute = (): Intl.DateTimeFormat =>
	cached(
		"dhm",
		(l) =>
			new Intl.DateTimeFormat(l, {
				month: "short",
				day: "numeric",
				hour: "2-digit",
				minute: "2-digit",
			}),
	);
const fullDate = (): Intl.DateTimeFormat =>
	cached("full", (l) => new Intl.DateTimeFormat(l, { dateStyle: "full", timeStyle: "medium" }));
const oneDecimal = (): Intl.NumberFormat => number("one", { maximumFractionDigits: 1 });

/** A chat message's time: "09:41" today, "Dec 4, 09:41" before. */
export function chatTime(ts: number, nowMs: number = Date.now()): string {
	const when = new Date(ts * 1000);
	const now = new Date(nowMs);
	const today = when.toDateString() === now.toDateString();
	return (today ? hourMinute() : dayHourMinute()).format(when);
}

/** The whole date and time, for a tooltip or `<time datetime>`'s title. */
export function fullTime(ts: number): string {
	return fullDate().format(new Date(ts * 1000));
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
	return `${oneDecimal().format(value)} ${BYTE_UNITS[unit]}`;
}

/** `12.345` → `"12.3%"`; null (not measured yet) → "–". */
export function formatPercent(n: number | null | undefined): string {
	if (n == null || !Number.isFinite(n)) return "–";
	return `${oneDecimal().format(n)}%`;
}
