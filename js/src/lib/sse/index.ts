// The wire layer: the stream client and the shapes and names of the wire. It imports
// nothing from `$lib/state`, the components or the views (src/imports.test.ts).
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
export { pageBaseUrl } from "./base-url.js";
export {
	type EventSourceFactory,
	type EventSourceLike,
	SseClient,
	type SseClientOptions,
	type Subscription,
} from "./client.js";
export { ChatApi, ChatError, type ChatInfo, xsrfToken } from "./chat-api.js";
export { Connection, type ConnectionStatus } from "./connection.svelte.js";
export {
	isChannel,
	isPattern,
	isValidSubscription,
	patternMatches,
	scopeCovers,
} from "./patterns.js";
export {
	ACTIVITY_CHANNEL,
	type CellNoticeData,
	type GpuDevice,
	type GpuInfo,
	isCellNotice,
	type KernelRow,
	type KernelState,
	type KernelStatusData,
	kernelRows,
	SYSTEM_CHANNEL,
	SYSTEM_INFO,
	SYSTEM_KERNELS,
	type SystemInfo,
	systemInfo,
	type SystemValueName,
} from "./server-channels.js";
export type { EnvelopeSink } from "./sink.js";
export type * from "./types.js";
export {
	isAuthor,
	isChatDelete,
	isChatEdit,
	isChatMessage,
	isPresence,
	SERVER_TYPES,
} from "./types.js";
