// Envelopes for the component tests, as the server would send them. Unlike
// `envelope` in fake-event-source.ts (a fixed `ts` unless given), each one comes a
// second after the last, so a test's events are in time order like a real stream's.
import type { Envelope } from "$lib/sse";

let clock = 1_764_000_000;

export function envelope(channel: string, type: string, data: unknown): Envelope {
	clock += 1;
	return { channel, type, ts: clock, data };
}
