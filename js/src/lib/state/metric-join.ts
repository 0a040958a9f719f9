// One metric of several channels (runs) on one x column, as a chart that overlays them
// needs: runs log at different steps or times, so their x columns are merged and each
// run has a value (or a gap) at every merged x.
import type { MetricSeries } from "./metric-series.svelte.js";

/** One run's line: its x column and the values of one metric, aligned. */
export interface RunLine {
	name: string;
	x: ArrayLike<number>;
	values: ArrayLike<number | null>;
}

export interface JoinedRuns {
	/** Every x of any run, ascending, once. */
	x: number[];
	/** One column per run, in the order given, `null` where that run has no value. */
	columns: (number | null)[][];
}

function ascending(x: ArrayLike<number>): boolean {
	for (let i = 1; i < x.length; i++) if ((x[i] ?? 0) < (x[i - 1] ?? 0)) return false;
	return true;
}

/** Merges the runs' x columns (sorted copies, duplicates dropped) and aligns each run. */
export function joinRuns(runs: readonly RunLine[]): JoinedRuns {
	const total = runs.reduce((n, run) => n + run.x.length, 0);
	const all = new Float64Array(total);
	let k = 0;
	for (const run of runs) for (let i = 0; i < run.x.length; i++) all[k++] = run.x[i] ?? 0;
	all.sort();
	const x: number[] = [];
	for (let i = 0; i < all.length; i++) {
		const v = all[i] ?? 0;
		if (i === 0 || v !== all[i - 1]) x.push(v);
	}
	const columns = runs.map((run) => {
		const column = new Array<number | null>(x.length).fill(null);
		if (ascending(run.x)) {
			// Both ascend: one walk. A repeated x keeps the run's last value there.
			let j = 0;
			for (let i = 0; i < run.x.length; i++) {
				const at = run.x[i] ?? 0;
				while ((x[j] ?? Infinity) < at) j++;
				const v = run.values[i];
				if (v != null) column[j] = v;
			}
		} else {
			const where = new Map<number, number>();
			x.forEach((v, i) => where.set(v, i));
			for (let i = 0; i < run.x.length; i++) {
				const v = run.values[i];
				const j = where.get(run.x[i] ?? 0);
				if (v != null && j !== undefined) column[j] = v;
			}
		}
		return column;
	});
	return { x, columns };
}

/** The runs that have `metric`, as lines by step (`byTime` false) or by server time. */
export function metricLines(
	runs: readonly MetricSeries[],
	metric: string,
	byTime: boolean,
): RunLine[] {
	return runs
		.filter((run) => run.names.includes(metric))
		.map((run) => ({
			name: run.channel,
			x: byTime ? run.ts : run.x,
			values: run.column(metric),
		}));
}
