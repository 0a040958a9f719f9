// The bench's event source, off the page's main thread.
//
// In a browser the network and the HTTP stack run on other threads; the page's main
// thread sees only the decoded bytes. Generating 10,000 events a second on the main
// thread (building and stringifying each envelope) would charge the page for work
// that no real page does, so this worker does it and posts the wire format in
// chunks every ~5 ms, as a network delivers them. Parsing the chunks into events, the
// JSON parsing and everything after stay on the main thread, as with a real
// EventSource.
import { metric, mixed, type Envelope } from "./events.js";

export type ProducerCommand =
	| { kind: "mixed"; perSecond: number; channels: string[] }
	| { kind: "metric"; perSecond: number; channel: string; fromStep: number }
	| { kind: "stop" };

const CHUNK_MS = 5;

let timer: ReturnType<typeof setInterval> | null = null;
let id = 0;

/** One event in the SSE wire format: `id:`, `event:` and `data:` lines, a blank line after. */
function encode(envelope: Envelope): string {
	return `id: ${++id}\nevent: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`;
}

function start(perSecond: number, next: () => Envelope): void {
	const begun = performance.now();
	let sent = 0;
	timer = setInterval(() => {
		const due = Math.floor(((performance.now() - begun) / 1000) * perSecond) - sent;
		if (due <= 0) return;
		let chunk = "";
		for (let i = 0; i < due; i++) chunk += encode(next());
		sent += due;
		postMessage(chunk);
	}, CHUNK_MS);
}

onmessage = (message: MessageEvent<ProducerCommand>) => {
	const command = message.data;
	if (timer !== null) clearInterval(timer);
	timer = null;
	if (command.kind === "mixed") {
		let n = 0;
		start(command.perSecond, () => mixed(n++, command.channels));
	} else if (command.kind === "metric") {
		let step = command.fromStep;
		start(command.perSecond, () => metric(command.channel, step++));
	}
};
