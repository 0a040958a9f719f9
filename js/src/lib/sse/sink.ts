import type { Envelope } from "./types.js";

/**
 * Where `SseClient` hands what its stream delivers.
 *
 * Declared here, next to the client, so that the wire layer needs nothing from the
 * layers above it: `$lib/state`'s `Feed` implements it (per-frame batches routed to the
 * stores and listeners), and a test can implement it with an array.
 */
export interface EnvelopeSink {
	/**
	 * One envelope, at once and in stream order: built-in, control (`snapshot`, `reset`,
	 * `error`) and custom types alike. Its cursor is already recorded.
	 */
	receive(envelope: Envelope): void;
	/** A stream opened. A pattern may match no channel yet, so no snapshot may follow. */
	opened(): void;
	/** No subscription uses `pattern` any more; the next stream leaves it out. */
	unsubscribed(pattern: string): void;
	/** The client closed for good: nothing more will be received. */
	closed(): void;
}
