// Every word of the compare view, in one place, so that a translation replaces this
// module's values and nothing else.
export const compareStrings = {
	title: "Compare runs",
	description: (runs: number) =>
		`One metric of ${runs} ${runs === 1 ? "run" : "runs"}, one colour per run`,
	metric: "Metric",
	chartTitle: (metric: string) => `${metric} by run`,
	needRuns: "Pick two or more channels that send metrics to compare them.",
	noMetric: "None of these channels has sent a metric yet.",
	open: (runs: number) => `Compare ${runs} runs`,
	close: "Hide comparison",
	runs: (runs: number) => `${runs} ${runs === 1 ? "run" : "runs"}`,
} as const;
