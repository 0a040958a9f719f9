// Stable keys for table rows, which carry no id of their own.
//
// Rows are immutable snapshots (see CONTRACT.md): a row object keeps its identity
// from frame to frame, so its key can be its identity. The WeakMap turns that into a
// number and forgets rows the store has dropped.
export type Row = Readonly<Record<string, unknown>>;

export interface KeyedRow {
	key: number;
	row: Row;
}

export class RowKeys {
	#ids = new WeakMap<Row, number>();
	#next = 0;

	/**
	 * The newest `limit` rows, newest first, each with a key unique in the result.
	 * A row object seen twice (which a store should never send) gets a fresh key the
	 * second time rather than breaking the keyed list.
	 */
	newestFirst(rows: readonly Row[], limit: number): KeyedRow[] {
		const out: KeyedRow[] = [];
		const used = new Set<number>();
		for (let i = rows.length - 1; i >= 0 && out.length < limit; i--) {
			const row = rows[i]!;
			let key = this.#ids.get(row);
			if (key === undefined || used.has(key)) {
				key = this.#next++;
				if (!this.#ids.has(row)) this.#ids.set(row, key);
			}
			used.add(key);
			out.push({ key, row });
		}
		return out;
	}
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
