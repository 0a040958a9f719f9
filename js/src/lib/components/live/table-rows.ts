// Helpers for the live table: which rows to draw, and which columns. A cell's text is
// `formatCell` in `$lib/format`.
import type { Row } from "$lib/state";

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
