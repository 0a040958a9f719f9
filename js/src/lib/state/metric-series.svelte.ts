import type { SnapshotMetric } from "$lib/sse";

export type XKind = "step" | "ts";
export type Column = readonly (number | null)[];
export type AlignedData = [readonly number[], ...Column[]];

/**
 * Default bound of points kept per channel. The chart draws a bounded subset of them
 * (min/max per pixel column), so a million points draw as fast as a few thousand; the
 * bound is memory: about 60 MB for a million points of two series (numbers and nulls
 * in plain arrays), the worst case per channel that sends that many.
 */
export const METRIC_CAP = 1_000_000;

/**
 * One channel's metric history as chart columns: `x` plus one column per series name,
 * all the same length, `null` where a point has no value for a series.
 *
 * The arrays are mutated in place and only `version`, `length` and `names` are
 * reactive: copying 100k points on every frame would cost more than drawing them.
 * Readers subscribe by reading `version`, then read the arrays.
 */
export class MetricSeries {
	readonly channel: string;
	readonly cap: number;
	version = $state(0);
	length = $state(0);
	names = $state.raw<readonly string[]>([]);
	xKind = $state<XKind>("step");

	#x: number[] = [];
	// Server time of every point, whatever `xKind` is: a snapshot is merged by time.
	#ts: number[] = [];
	#columns = new Map<string, (number | null)[]>();
	#names: string[] = [];
	#xKind: XKind = "step";
	#dirty = false;

	constructor(channel: string, cap: number = METRIC_CAP) {
		this.channel = channel;
		this.cap = cap;
	}

	get x(): readonly number[] {
		return this.#x;
	}

	/**
	 * Server time (epoch seconds) of every point, whatever `xKind` is: the x column of a
	 * chart drawn by time. Non-reactive, mutated in place like `x`.
	 */
	get ts(): readonly number[] {
		return this.#ts;
	}

	column(name: string): Column {
		return this.#columns.get(name) ?? [];
	}

	aligned(): AlignedData {
		return [this.#x, ...this.#names.map((name) => this.column(name))];
	}

	latest(name: string): number | null {
		const column = this.#columns.get(name);
		if (!column) return null;
		for (let i = column.length - 1; i >= 0; i--) {
			const value = column[i];
			if (value !== null && value !== undefined) return value;
		}
		return null;
	}

	/** Appends one point. Not visible to readers until `commit()`. */
	push(point: SnapshotMetric): void {
		const length = this.#x.length;
		const step = typeof point.step === "number" ? point.step : null;
		if (length === 0) this.#xKind = step !== null ? "step" : "ts";
		if (this.#xKind === "ts") {
			this.#x.push(point.ts);
		} else {
			// A point without a step continues the previous one, so a mixed stream stays ordered.
			this.#x.push(step ?? (length > 0 ? (this.#x[length - 1] ?? 0) + 1 : 0));
		}
		this.#ts.push(point.ts);
		for (const name of Object.keys(point.values)) {
			if (!this.#columns.has(name)) {
				this.#columns.set(name, new Array<number | null>(length).fill(null));
				this.#names.push(name);
			}
		}
		for (const [name, column] of this.#columns) {
			const value = point.values[name];
			column.push(typeof value === "number" ? value : null);
		}
		if (this.#x.length > this.cap) this.#dropOldest(Math.ceil(this.cap / 10));
		this.#dirty = true;
	}

	/**
	 * Takes a snapshot's points (the newest, bounded by the server) in place of what is
	 * held from their first time on. Older points stay: the snapshot does not reach back
	 * that far and what was drawn before it is still true. A `reset` clears first.
	 */
	merge(points: readonly SnapshotMetric[]): void {
		const first = points[0];
		if (first === undefined) return;
		const keep = this.#ts.findIndex((ts) => ts >= first.ts);
		if (keep === 0) this.clear();
		else if (keep > 0) this.#truncate(keep);
		for (const point of points) this.push(point);
		this.#dirty = true;
	}

	clear(): void {
		this.#x = [];
		this.#ts = [];
		this.#columns = new Map();
		this.#names = [];
		this.#dirty = true;
	}

	/** Publishes the changes since the last commit to readers; true if there were any. */
	commit(): boolean {
		if (!this.#dirty) return false;
		this.#dirty = false;
		this.length = this.#x.length;
		if (!sameNames(this.names, this.#names)) this.names = [...this.#names];
		this.xKind = this.#xKind;
		this.version += 1;
		return true;
	}

	/** The newest `limit` points in snapshot form, for saving with the notebook. */
	toSnapshot(limit: number): SnapshotMetric[] {
		const start = Math.max(0, this.#x.length - limit);
		const points: SnapshotMetric[] = [];
		for (let i = start; i < this.#x.length; i++) {
			const values: Record<string, number | null> = {};
			for (const [name, column] of this.#columns) {
				const value = column[i];
				if (value !== null && value !== undefined) values[name] = value;
			}
			const ts = this.#ts[i] ?? 0;
			points.push(this.#xKind === "step" ? { ts, step: this.#x[i] ?? 0, values } : { ts, values });
		}
		return points;
	}

	#dropOldest(count: number): void {
		this.#x.splice(0, count);
		this.#ts.splice(0, count);
		for (const column of this.#columns.values()) column.splice(0, count);
	}

	#truncate(length: number): void {
		this.#x.length = length;
		this.#ts.length = length;
		for (const column of this.#columns.values()) column.length = length;
	}
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
	return a.length === b.length && a.every((name, i) => name === b[i]);
}
