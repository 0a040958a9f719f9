// Reads a Chrome trace (JSON, as `browser.stopTracing()` returns it) for the bench:
// the renderer main thread's CPU time over the measured window, and where it went.
//
// Wall-clock frame times grow when other processes take the cores; the thread CPU
// time of a trace (`tdur`: time the thread actually ran) does not, so it is the
// figure to compare between a quiet and a loaded machine.
//
//   node bench/frontend/trace.mjs TRACE.json [--top 30]       time per trace event
//   node bench/frontend/trace.mjs X.cpuprofile [--top 30] [--inclusive]
//                                                            JavaScript time per function

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

/** Categories for the CPU figure alone: cheap enough to leave on for every run. */
export const CPU_CATEGORIES = ["toplevel", "blink.user_timing"];

/** Categories for a profile: what DevTools' performance panel records, without screenshots. */
export const PROFILE_CATEGORIES = [
	...CPU_CATEGORIES,
	"devtools.timeline",
	"disabled-by-default-devtools.timeline",
	"disabled-by-default-devtools.timeline.frame",
	"v8.execute",
	"blink",
	"cc",
	"gpu",
	"viz",
];

// Marks set by src/frames.ts around the frames it measures.
const START = "bench:measure-start";
const END = "bench:measure-end";

function eventsOf(trace) {
	const parsed =
		typeof trace === "string" || Buffer.isBuffer(trace) ? JSON.parse(String(trace)) : trace;
	return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

/** The measured window and the page's main thread, found from the marks. */
function locate(events) {
	const start = events.find((e) => e.name === START);
	const end = events.find((e) => e.name === END);
	if (!start || !end) throw new Error("the trace has no measurement marks");
	return { pid: start.pid, tid: start.tid, from: start.ts, to: end.ts };
}

/** Complete events (`ph: X`) of one thread starting inside [from, to), outer ones first. */
function threadEvents(events, { pid, tid, from, to }) {
	return events
		.filter((e) => e.ph === "X" && e.pid === pid && e.tid === tid && e.ts >= from && e.ts < to)
		.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
}

/**
 * Main-thread CPU over the measured window: the summed thread time of its top-level
 * tasks (nested tasks are counted once, in their parent).
 */
export function mainThreadCpu(trace) {
	const events = eventsOf(trace);
	const where = locate(events);
	let cpuUs = 0;
	let busyUntil = -Infinity;
	for (const e of threadEvents(events, where)) {
		if (!String(e.cat).split(",").includes("toplevel")) continue;
		if (e.ts < busyUntil) continue;
		busyUntil = e.ts + (e.dur ?? 0);
		cpuUs += e.tdur ?? 0;
	}
	const wallMs = (where.to - where.from) / 1000;
	return { cpuMs: cpuUs / 1000, wallMs, cpuPerSecond: (cpuUs / 1000 / wallMs) * 1000 };
}

/**
 * Self thread time per event name on the main thread over the window (time in an
 * event minus the time in the events nested inside it), largest first.
 */
export function breakdown(trace) {
	const events = eventsOf(trace);
	const where = locate(events);
	const self = new Map();
	const stack = [];
	const close = (until) => {
		while (stack.length && stack.at(-1).end <= until) stack.pop();
	};
	for (const e of threadEvents(events, where)) {
		close(e.ts);
		const node = { name: e.name, end: e.ts + (e.dur ?? 0), tdur: e.tdur ?? 0 };
		const parent = stack.at(-1);
		if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - node.tdur);
		self.set(node.name, (self.get(node.name) ?? 0) + node.tdur);
		stack.push(node);
	}
	const seconds = (where.to - where.from) / 1e6;
	return [...self.entries()]
		.map(([name, us]) => ({ name, msPerSecond: us / 1000 / seconds }))
		.sort((a, b) => b.msPerSecond - a.msPerSecond);
}

/**
 * Time per function of a V8 CPU profile (CDP `Profiler.stop`), largest first, in ms
 * per second of the profile: self time, or with `inclusive` the time in the function
 * and everything it called.
 */
export function profileBreakdown(profile, { inclusive = false } = {}) {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map();
	for (const node of profile.nodes)
		for (const child of node.children ?? []) parent.set(child, node.id);
	const label = (id) => {
		const { functionName, url, lineNumber, columnNumber } = byId.get(id).callFrame;
		const file = url ? url.split("/").at(-1) : "";
		return `${functionName || "(anonymous)"}${file ? ` ${file}:${lineNumber + 1}:${columnNumber + 1}` : ""}`;
	};
	const byName = new Map();
	for (let i = 0; i < profile.samples.length; i++) {
		const us = profile.timeDeltas[i + 1] ?? 0;
		const names = new Set();
		for (
			let id = profile.samples[i];
			id !== undefined;
			id = inclusive ? parent.get(id) : undefined
		) {
			names.add(label(id));
		}
		for (const name of names) byName.set(name, (byName.get(name) ?? 0) + us);
	}
	const seconds = (profile.endTime - profile.startTime) / 1e6;
	return [...byName.entries()]
		.map(([name, us]) => ({ name, msPerSecond: us / 1000 / seconds }))
		.sort((a, b) => b.msPerSecond - a.msPerSecond);
}

async function main() {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: {
			top: { type: "string", default: "30" },
			inclusive: { type: "boolean", default: false },
		},
	});
	for (const file of positionals) {
		const trace = await readFile(file);
		if (file.endsWith(".cpuprofile")) {
			console.log(`${file}: JavaScript ${values.inclusive ? "inclusive" : "self"} time`);
			const profile = JSON.parse(String(trace));
			for (const { name, msPerSecond } of profileBreakdown(profile, values).slice(
				0,
				Number(values.top),
			)) {
				console.log(`${msPerSecond.toFixed(1).padStart(8)} ms/s  ${name}`);
			}
			continue;
		}
		const cpu = mainThreadCpu(trace);
		console.log(
			`${file}: main thread ${cpu.cpuPerSecond.toFixed(0)} ms CPU per second over ${(cpu.wallMs / 1000).toFixed(1)} s`,
		);
		for (const { name, msPerSecond } of breakdown(trace).slice(0, Number(values.top))) {
			console.log(`${msPerSecond.toFixed(1).padStart(8)} ms/s  ${name}`);
		}
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
