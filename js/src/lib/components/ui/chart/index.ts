import Legend from "./chart-legend.svelte";
import Toolbar from "./chart-toolbar.svelte";
import LineChart from "./line-chart.svelte";

export {
	CHART_TOKEN_COUNT,
	readChartTheme,
	seriesSwatchClass,
	seriesToken,
	watchTheme,
	type ChartScale,
	type ChartSeries,
	type ChartTheme,
	type LegendItem,
} from "./chart-utils.js";
export { chartStrings } from "./chart-strings.js";
export { fileName, saveFile, toCsv } from "./chart-export.js";
export { downsample, visibleRange } from "./downsample.js";
export { clampSmoothing, ema, MAX_SMOOTHING, Smoother } from "./smooth.js";
export { Legend, LineChart, Toolbar, Legend as ChartLegend, Toolbar as ChartToolbar };
