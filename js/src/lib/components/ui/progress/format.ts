// Human-friendly numbers for progress bars. A fixed locale keeps the output (and the
// tests that pin it) identical on every machine.
const LOCALE = "en-US";

const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(LOCALE, {
	notation: "compact",
	maximumFractionDigits: 1,
});

/** `1234` → `"1,234"`; fractional counts keep up to two decimals. */
export function formatCount(n: number): string {
	if (!Number.isFinite(n)) return "–";
	if (Number.isInteger(n)) return integer.format(n);
	return n.toLocaleString(LOCALE, { maximumFractionDigits: 2 });
}

/**
 * A duration in seconds, to two units at most: `"<1s"`, `"42s"`, `"3m 05s"`,
 * `"2h 03m"`, `"1d 04h"`. `null` for a value that is not a duration (negative, NaN).
 */
export function formatDuration(seconds: number | null | undefined): string | null {
	if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return null;
	if (seconds < 1) return "<1s";
	const s = Math.round(seconds);
	if (s < 60) return `${s}s`;
	const pad = (v: number) => String(v).padStart(2, "0");
	if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
	return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/**
 * A rate in units per second. Slow rates flip to seconds per unit as tqdm does
 * (`"2.50 s/it"`), because "0.4 it/s" is harder to read than "2.50 s/it".
 */
export function formatRate(rate: number | null | undefined, unit = "it"): string | null {
	if (rate == null || !Number.isFinite(rate) || rate <= 0) return null;
	if (rate < 1) return `${(1 / rate).toFixed(2)} s/${unit}`;
	if (rate < 100) return `${rate.toFixed(1)} ${unit}/s`;
	return `${compact.format(rate)} ${unit}/s`;
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
