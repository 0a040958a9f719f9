export { ChannelStore, LOG_LINES, TABLE_ROWS, TOASTS } from "./channel-store.svelte";
export type {
  CustomEntry,
  LogEntry,
  ProgressEntry,
  Row,
  StatusEntry,
  TableState,
  Toast,
} from "./entries";
export { type AlignedData, type Column, METRIC_CAP, MetricSeries, type XKind } from "./metric-series.svelte";
export { persistState, restoreState, type SavedState, saveState } from "./persist.svelte";
