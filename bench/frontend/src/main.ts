// The bench page. `?scenario=` picks what runs; results go to `window.__bench`.
import { mount, tick } from "svelte";
import "../../../js/src/app.css";
import { LiveClient } from "$lib/state";
import LiveView from "../../../js/src/views/LiveView.svelte";
import { ChartFeed, type Engine } from "./chart-feed.svelte.js";
import EngineBench from "./EngineBench.svelte";
import { metricHistory, mixed, snapshot } from "./events.js";
import { FakeEventSource } from "./fake-source.js";
import { measureFrames, report, type FrameReport } from "./frames.js";
import type { ProducerCommand } from "./producer.worker.js";

interface BenchResult extends FrameReport {
	scenario: string;
	events: number;
	points: number | null;
	error?: string;
}

declare global {
	interface Window {
		__bench?: BenchResult | { error: string };
	}
}

const params = new URLSearchParams(location.search);
const scenario = params.get("scenario") ?? "events";
const seconds = Number(params.get("seconds") ?? 10);
const target = document.getElementById("app")!;
// `?theme=dark` renders the dark tokens (`.jupyter-sse.dark`), for looking at both themes.
if (params.get("theme") === "dark") target.classList.add("dark");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
	get: () => T | null | undefined,
	what: string,
	timeoutMs = 10000,
): Promise<T> {
	const end = performance.now() + timeoutMs;
	for (;;) {
		const value = get();
		if (value != null) return value;
		if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(10);
	}
}

/**
 * Calls `emit(count)` about every 5 ms with the number of events due at `perSecond`,
 * as a network delivers SSE events in chunks. Returns a function that stops it and
 * gives the total emitted.
 */
function produce(perSecond: number, emit: (count: number) => void): () => number {
	const start = performance.now();
	let sent = 0;
	const timer = setInterval(() => {
		const due = Math.floor(((performance.now() - start) / 1000) * perSecond) - sent;
		if (due > 0) {
			emit(due);
			sent += due;
		}
	}, 5);
	return () => {
		clearInterval(timer);
		return sent;
	};
}

function chartPoints(): number | null {
	const roots = document.querySelectorAll<HTMLElement>("[data-points]");
	if (roots.length === 0) return null;
	let total = 0;
	for (const el of roots) total += Number(el.dataset.points ?? 0);
	return total;
}

/**
 * Streams events into `source` from a worker (see producer.worker.ts): the page's
 * main thread only receives the chunks, as it would from a network.
 */
function startProducer(source: FakeEventSource, command: ProducerCommand): Worker {
	const worker = new Worker(new URL("./producer.worker.ts", import.meta.url), { type: "module" });
	worker.onmessage = (message: MessageEvent<string>) => source.receive(message.data);
	worker.postMessage(command);
	return worker;
}

/** The run's frames, measured while `command` streams into `source` (then stopped). */
async function measureWhile(
	source: FakeEventSource,
	command: ProducerCommand,
): Promise<BenchResult> {
	const producer = startProducer(source, command);
	const start = source.delivered;
	const frames = await measureFrames(seconds * 1000);
	const events = source.delivered - start;
	producer.terminate();
	await sleep(50);
	return { scenario, events, points: chartPoints(), ...report(frames) };
}

/** A LiveView fed by a real LiveClient (SseClient + Feed) over a fake EventSource. */
async function liveView(patterns: string[]): Promise<FakeEventSource> {
	let source: FakeEventSource | null = null;
	const client = new LiveClient({
		baseUrl: "/",
		createEventSource: (url) => (source = new FakeEventSource(url)),
		fetch: () => Promise.reject(new Error("the bench has no server")),
	});
	const registration = client.register(patterns);
	mount(LiveView, {
		target,
		props: { stores: [...registration.stores], connection: client.connection },
	});
	const opened = await until(() => source, "the client to open its stream");
	opened.open();
	return opened;
}

async function run(): Promise<BenchResult> {
	const warmupMs = 1000;
	if (scenario === "events") {
		const channels = ["bench/train", "bench/eval"];
		const source = await liveView(channels);
		for (const channel of channels) source.emit("snapshot", snapshot(channel));
		const producer = startProducer(source, { kind: "mixed", perSecond: 10000, channels });
		await sleep(warmupMs);
		const start = source.delivered;
		const frames = await measureFrames(seconds * 1000);
		const events = source.delivered - start;
		producer.terminate();
		await tick();
		return { scenario, events, points: chartPoints(), ...report(frames) };
	}

	if (scenario === "gallery") {
		// Not timed: every component in its states, for screenshots (`--screenshots`).
		const source = await liveView(["demo/run-1", "demo/*"]);
		source.emit(
			"snapshot",
			snapshot("demo/run-1", {
				progress: {
					epoch: { key: "epoch", value: 3, total: 10, label: "epoch", rate: 0.21, eta: 33 },
					batches: { key: "batches", value: 1280, total: 1280, label: "batches", done: true },
					upload: { key: "upload", value: 41, total: 100, label: "upload", error: "disk full" },
					files: { key: "files", value: 7, label: "files", rate: 3.5 },
				},
				status: {
					phase: { key: "phase", value: "training", variant: "info" },
					data: { key: "data", value: "ok", variant: "success" },
					gpu: { key: "gpu", value: "91°C", variant: "warning" },
					last: { key: "last", value: "NaN loss", variant: "error" },
					seen: { key: "seen", value: 128000, variant: "default" },
				},
				metric: metricHistory(0, 3000),
				table: {
					results: [
						{ lr: 0.1, score: 0.912 },
						{ lr: 0.01, score: 0.934, note: "best" },
						{ lr: 0.001, score: 0.921, epochs: 12 },
					],
				},
				log: [
					{ ts: Date.now() / 1000 - 3, text: "loading data", level: "debug" },
					{ ts: Date.now() / 1000 - 2, text: "epoch 3 started", level: "info" },
					{ ts: Date.now() / 1000 - 1, text: "gpu running hot", level: "warning" },
					{ ts: Date.now() / 1000, text: "loss is NaN at step 2999", level: "error" },
				],
			}),
		);
		source.emit("notify", {
			channel: "demo/run-1",
			type: "notify",
			ts: Date.now() / 1000,
			data: { message: "checkpoint saved", level: "success" },
		});
		source.emit("notify", {
			channel: "demo/run-1",
			type: "notify",
			ts: Date.now() / 1000,
			data: { title: "Training", message: "loss is NaN at step 2999", level: "error" },
		});
		await sleep(400);
		return { scenario, events: 0, points: chartPoints(), ...report({ intervals: [], work: [] }) };
	}

	if (scenario === "idle") {
		// The floor: the same page with nothing arriving, to read the others against
		// what the machine gives an idle page.
		const channels = ["bench/train", "bench/eval"];
		const source = await liveView(channels);
		for (const channel of channels) source.emit("snapshot", snapshot(channel));
		for (let n = 0; n < 2000; n++) {
			const e = mixed(n, channels);
			if (e.type !== "notify") source.emit(e.type, e);
		}
		await sleep(warmupMs);
		const frames = await measureFrames(seconds * 1000);
		return { scenario, events: 0, points: chartPoints(), ...report(frames) };
	}

	if (scenario === "chart" || scenario === "chart-1m") {
		// `chart-1m`: a million points held, drawn through the chart's downsampling.
		const history = scenario === "chart" ? 100_000 : 1_000_000;
		const channel = "bench/chart";
		const source = await liveView([channel]);
		// In snapshots of 100,000 points: one string of a million would be ~70 MB.
		for (let from = 0; from < history; from += 100_000) {
			source.emit(
				"snapshot",
				snapshot(channel, { metric: metricHistory(from, from + 100_000, history) }),
			);
			await sleep(0);
		}
		await until(
			() => (chartPoints() ?? 0) >= history || null,
			`${history.toLocaleString("en-US")} points drawn`,
			60000,
		);
		await sleep(warmupMs);
		return measureWhile(source, { kind: "metric", perSecond: 1000, channel, fromStep: history });
	}

	if (scenario === "sparse") {
		// What the kernel-to-pixel figure's page draws (bench/pixel_figure.py): each event
		// is a frame's work of its own, so its cost is that frame's, not an average.
		const channel = "bench/sparse";
		const source = await liveView([channel]);
		source.emit("snapshot", snapshot(channel));
		await sleep(warmupMs);
		return measureWhile(source, { kind: "metric", perSecond: 10, channel, fromStep: 0 });
	}

	if (scenario.startsWith("engine-")) {
		const feed = new ChartFeed(scenario.slice("engine-".length) as Engine);
		feed.append(100000);
		feed.commit();
		mount(EngineBench, { target, props: { feed } });
		await until(() => (chartPoints() ?? 0) >= 100000 || null, "100,000 points drawn", 60000);
		await sleep(warmupMs);
		// The engines get their points once per frame, as the data layer's FrameBatcher
		// hands them out: a frame is requested when the first point of a batch arrives.
		let frame = 0;
		const stop = produce(1000, (count) => {
			feed.append(count);
			frame ||= requestAnimationFrame(() => {
				frame = 0;
				feed.commit();
			});
		});
		const frames = await measureFrames(seconds * 1000);
		const events = stop();
		cancelAnimationFrame(frame);
		await sleep(50);
		return { scenario, events, points: chartPoints(), ...report(frames) };
	}

	throw new Error(`unknown scenario ${scenario}`);
}

run().then(
	(result) => {
		window.__bench = result;
	},
	(error: unknown) => {
		window.__bench = {
			error: String(error instanceof Error ? (error.stack ?? error.message) : error),
		};
	},
);
