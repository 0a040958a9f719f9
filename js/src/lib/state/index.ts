// The state layer: what the views read (stores, series, saved state) and what fills it
// (the registry of page clients, the feed, per-frame batching). It imports `$lib/sse`,
// never the components or the views (src/imports.test.ts).
export {
	ChannelStore,
	KEPT_CHAT_MESSAGES,
	KEPT_LOG_LINES,
	KEPT_TABLE_ROWS,
	KEPT_TOASTS,
} from "./channel-store.svelte.js";
export { ChatSession, samePerson } from "./chat-session.svelte.js";
export type {
	ChatEntry,
	CustomEntry,
	LogEntry,
	ProgressEntry,
	Row,
	StatusEntry,
	TableState,
	Toast,
} from "./entries.js";
export { Feed, type Listener } from "./feed.js";
export {
	FRAME_MS,
	FrameBatcher,
	type FrameScheduler,
	nextFrame,
	soonWhenSparse,
} from "./frame-batcher.js";
export { LiveClient, type LiveClientOptions, type Registration } from "./live-client.js";
export { type JoinedRuns, joinRuns, metricLines, type RunLine } from "./metric-join.js";
export {
	type AlignedData,
	type Column,
	METRIC_CAP,
	MetricSeries,
	type XKind,
} from "./metric-series.svelte.js";
export { persistState, restoreState, type SavedState, saveState } from "./persist.svelte.js";
export { ClientRegistry, pageClients, type SharedOptions } from "./registry.js";
