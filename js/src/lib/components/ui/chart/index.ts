import Legend from "./chart-legend.svelte";
import LineChart from "./line-chart.svelte";

export {
	CHART_TOKEN_COUNT,
	readChartTheme,
	seriesSwatchClass,
	seriesToken,
	watchTheme,
	type ChartSeries,
	type ChartTheme,
	type LegendItem,
} from "./chart-utils.js";
export { Legend, LineChart, Legend as ChartLegend };
