// Every word of the compare view, in one place: each is a message of the catalogue
// (`$lib/i18n`), read when drawn.
import { formatCount } from "$lib/format.js";
import { m } from "$lib/i18n";

const runs = (count: number) => ({ count, n: formatCount(count) });

export const compareStrings = {
	get title() {
		return m.compare_runs_title();
	},
	description: (count: number) => m.compare_runs_description(runs(count)),
	get metric() {
		return m.compare_metric();
	},
	chartTitle: (metric: string) => m.compare_chart_title({ metric }),
	get needRuns() {
		return m.compare_need_runs();
	},
	get noMetric() {
		return m.compare_no_metric();
	},
	open: (count: number) => m.compare_open(runs(count)),
	get close() {
		return m.compare_close();
	},
	runs: (count: number) => m.compare_runs(runs(count)),
};
