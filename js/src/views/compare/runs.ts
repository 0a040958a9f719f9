// The runs a set of stores holds: every channel's metric history, once, in store order.
import type { ChannelStore, MetricSeries } from "$lib/state";

/** Each real channel's `MetricSeries` across `stores` (a channel in two stores once). */
export function runsOf(stores: readonly ChannelStore[]): MetricSeries[] {
	const seen = new Map<string, MetricSeries>();
	for (const store of stores) {
		for (const series of Object.values(store.metrics)) {
			if (!seen.has(series.channel)) seen.set(series.channel, series);
		}
	}
	return [...seen.values()];
}

/** The metric names of `runs`, first seen first. */
export function metricNames(runs: readonly MetricSeries[]): string[] {
	const names = new Set<string>();
	for (const run of runs) for (const name of run.names) names.add(name);
	return [...names];
}
