// Helpers for the live table: which rows to draw, which columns, and cell text.
export type Row = Readonly<Record<string, unknown>>;

/** The newest `limit` rows, newest first. */
export function newestFirst(rows: readonly Row[], limit: number): Row[] {
	const out: Row[] = [];
	for (let i = rows.length - 1; i >= 0 && out.length < limit; i--) out.push(rows[i]!);
	return out;
}

/** Column names: the union of the rows' keys in first-seen order. */
export function unionColumns(rows: readonly Row[]): string[] {
	const seen = new Set<string>();
	for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
	return [...seen];
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });

/** A cell as text: numbers rounded for reading, objects as compact JSON. */
export function formatCell(value: unknown): string {
	if (value == null) return "–";
	if (typeof value === "number") return Number.isFinite(value) ? number.format(value) : String(value);
	if (typeof value === "string") return value;
	if (typeof value === "boolean" || typeof value === "bigint") return String(value);
	try {
		return JSON.stringify(value);
	} catch {
		return String(value);
	}
}
