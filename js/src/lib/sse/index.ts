export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff";
export { pageBaseUrl } from "./base-url";
export {
  type ClientOptions,
  type EventSourceFactory,
  type EventSourceLike,
  type Registration,
  SseClient,
} from "./client";
export { Connection, type ConnectionStatus } from "./connection.svelte";
export type { Listener } from "./feed";
export { type FrameScheduler, nextFrame } from "./frame";
export { ClientRegistry, pageClients } from "./registry";
export type * from "./types";
