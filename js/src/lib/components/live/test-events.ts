// Envelopes for the component tests, as the server would send them.
import type { Envelope } from "$lib/sse";

let clock = 1_764_000_000;

export function envelope(channel: string, type: string, data: unknown): Envelope {
	clock += 1;
	return { channel, type, ts: clock, data };
}
