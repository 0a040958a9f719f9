#!/usr/bin/env node
// Front-end bench: builds bench/frontend with Vite, opens it in headless Chromium and
// prints frame-time figures against their targets.
//
//   node bench/frontend/run.mjs                      every scenario, 10 s each
//   node bench/frontend/run.mjs --scenario chart     one scenario (repeatable)
//   node bench/frontend/run.mjs --seconds 5 --json out.json
//   node bench/frontend/run.mjs --screenshots DIR    also save the component gallery
//   node bench/frontend/run.mjs --trace DIR          also save a profile trace per scenario
//   node bench/frontend/run.mjs --cpuprofile DIR     also save a JavaScript CPU profile per scenario
//
// Exits 1 when a target is missed, 2 when a scenario could not run.
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { importFromJs } from "./js-deps.mjs";
import { CPU_CATEGORIES, PROFILE_CATEGORIES, mainThreadCpu } from "./trace.mjs";
import { benchConfig } from "./vite.config.mjs";

const SCENARIOS = {
	idle: "LiveView, 2 channels, no events (the machine's floor)",
	sparse: "LiveView, 1 channel, 10 metric points/s (each its own frame)",
	events: "LiveView, 2 channels, 10,000 events/s mixed",
	chart: "LiveView, 100k metric points + 1,000 points/s",
	"chart-1m": "LiveView, 1M metric points (downsampled) + 1,000 points/s",
	"engine-uplot": "uPlot (canvas), 100k points + 1,000/s",
	"engine-layerchart-svg": "LayerChart SVG, 100k points + 1,000/s",
	"engine-layerchart-canvas": "LayerChart canvas, 100k points + 1,000/s",
};

// Target: a frame's main-thread work fits in a 60 Hz frame.
const TARGET_WORK_P95_MS = 16;
const TARGETED = new Set(["events", "chart", "chart-1m"]);

// The flags every browser test starts Chromium with (the file says why each).
const CHROMIUM_ARGS = JSON.parse(
	await readFile(new URL("../../scripts/chromium-args.json", import.meta.url), "utf8"),
).args;

const { values: args } = parseArgs({
	options: {
		scenario: { type: "string", multiple: true },
		seconds: { type: "string", default: "10" },
		json: { type: "string" },
		screenshots: { type: "string" },
		trace: { type: "string" },
		cpuprofile: { type: "string" },
		chromium: { type: "string", default: process.env.CHROMIUM ?? "/usr/bin/chromium" },
	},
});

const scenarios = args.scenario?.length ? args.scenario : Object.keys(SCENARIOS);
for (const name of scenarios) {
	if (!(name in SCENARIOS)) {
		console.error(`unknown scenario ${name}; one of: ${Object.keys(SCENARIOS).join(", ")}`);
		process.exit(2);
	}
}
const seconds = Number(args.seconds);

const MIME = {
	".html": "text/html",
	".js": "text/javascript",
	".css": "text/css",
	".svg": "image/svg+xml",
};

/** Serves `root` on 127.0.0.1 at a free port. */
function serve(root) {
	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://127.0.0.1");
		const file = path.join(
			root,
			path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ""),
		);
		const target = file.endsWith(path.sep) ? path.join(file, "index.html") : file;
		try {
			if (!(await stat(target)).isFile()) throw new Error("not a file");
			res.writeHead(200, {
				"content-type": MIME[path.extname(target)] ?? "application/octet-stream",
			});
			createReadStream(target).pipe(res);
		} catch {
			res.writeHead(404).end();
		}
	});
	return new Promise((resolve) => {
		server.listen(0, "127.0.0.1", () => resolve(server));
	});
}

const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

function table(rows) {
	const header = [
		"scenario",
		"events",
		"points",
		"frames",
		"work p50",
		"work p95",
		"main CPU",
		"interval p50",
		"interval p95",
		"dropped",
		"target (work p95)",
	];
	const body = rows.map((r) =>
		r.error
			? [
					r.scenario,
					"–",
					"–",
					"–",
					"–",
					"–",
					"–",
					"–",
					"–",
					"–",
					`ERROR: ${r.error.split("\n")[0]}`,
				]
			: [
					r.scenario,
					String(r.events),
					r.points == null ? "–" : String(r.points),
					String(r.frames),
					`${fmt(r.workP50)} ms`,
					`${fmt(r.workP95)} ms`,
					r.cpuPerSecond == null
						? "–"
						: `${fmt(r.cpuPerSecond, 0)} ms/s, ${fmt(r.cpuPerFrame)} ms/frame`,
					`${fmt(r.intervalP50)} ms`,
					`${fmt(r.intervalP95)} ms`,
					`${r.dropped} (${fmt((100 * r.dropped) / Math.max(1, r.slots))}%)`,
					r.verdict,
				],
	);
	const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
	const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
	return [
		line(header),
		`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
		...body.map(line),
	].join("\n");
}

/** Starts V8's sampling profiler when the page starts measuring (after its warm-up). */
async function startProfiler(page) {
	const session = await page.context().newCDPSession(page);
	await session.send("Profiler.enable");
	await session.send("Profiler.setSamplingInterval", { interval: 100 });
	await page.waitForFunction(
		() => window.__bench || performance.getEntriesByName("bench:measure-start").length,
		null,
		{
			timeout: 120_000,
			polling: 10,
		},
	);
	await session.send("Profiler.start");
	return session;
}

/**
 * One scenario in a fresh page; resolves with the page's result or `{ error }`.
 *
 * Every run is traced, with only the categories the CPU figure needs (one event per
 * task), unless `--trace` asks for a full profile, which is then saved too.
 */
async function runScenario(browser, port, scenario) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	const errors = [];
	page.on("pageerror", (error) => errors.push(String(error)));
	let tracing = false;
	try {
		await browser.startTracing(page, {
			categories: args.trace ? PROFILE_CATEGORIES : CPU_CATEGORIES,
		});
		tracing = true;
		// Only the local server is ever contacted.
		await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
		await page.goto(`http://127.0.0.1:${port}/index.html?scenario=${scenario}&seconds=${seconds}`, {
			waitUntil: "domcontentloaded",
			timeout: 120_000,
		});
		const profiler = args.cpuprofile ? await startProfiler(page) : null;
		const handle = await page.waitForFunction(() => window.__bench, null, {
			timeout: (seconds + 120) * 1000,
			polling: 250,
		});
		const result = await handle.jsonValue();
		if (profiler) {
			await mkdir(args.cpuprofile, { recursive: true });
			const { profile } = await profiler.send("Profiler.stop");
			await writeFile(
				path.join(args.cpuprofile, `${scenario}.cpuprofile`),
				JSON.stringify(profile),
			);
		}
		const trace = await browser.stopTracing();
		tracing = false;
		if (errors.length && !result.error) return { error: errors.join("\n") };
		if (result.error || !(result.frames > 1)) return result;
		if (args.trace) {
			await mkdir(args.trace, { recursive: true });
			await writeFile(path.join(args.trace, `${scenario}.json`), trace);
		}
		const cpu = mainThreadCpu(trace);
		return { ...result, cpuPerSecond: cpu.cpuPerSecond, cpuPerFrame: cpu.cpuMs / result.frames };
	} finally {
		if (tracing) await browser.stopTracing().catch(() => undefined);
		await page.close();
	}
}

async function main() {
	const { build } = await importFromJs("vite");
	const { chromium } = await importFromJs("playwright-core");

	console.log(
		`machine: ${os.cpus().length} cores, load average ${os
			.loadavg()
			.map((l) => l.toFixed(1))
			.join(" ")}`,
	);
	const outDir = await mkdtemp(path.join(os.tmpdir(), "jupyter-sse-bench-"));
	const started = Date.now();
	await build(await benchConfig(outDir, { minify: !args.cpuprofile }));
	console.log(`built the bench page in ${((Date.now() - started) / 1000).toFixed(1)} s`);

	const server = await serve(outDir);
	const { port } = server.address();
	const browser = await chromium.launch({ executablePath: args.chromium, args: CHROMIUM_ARGS });
	const results = [];
	try {
		if (args.screenshots) {
			await mkdir(args.screenshots, { recursive: true });
			for (const theme of ["light", "dark"]) {
				const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
				await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
				await page.goto(`http://127.0.0.1:${port}/index.html?scenario=gallery&theme=${theme}`);
				await page.waitForFunction(() => window.__bench, null, { timeout: 30000 });
				const file = path.join(args.screenshots, `gallery-${theme}.png`);
				await page.screenshot({ path: file, fullPage: true });
				await page.close();
				console.log(`saved ${file}`);
			}
		}
		for (const scenario of scenarios) {
			process.stdout.write(`running ${scenario} (${SCENARIOS[scenario]}) … `);
			let result;
			try {
				result = await runScenario(browser, port, scenario);
			} catch (error) {
				result = { error: String(error?.message ?? error) };
			}
			if (result.error) {
				results.push({ scenario, error: result.error });
				console.log("error");
				continue;
			}
			const targeted = TARGETED.has(scenario);
			const met = result.workP95 <= TARGET_WORK_P95_MS;
			result.verdict = targeted
				? `≤ ${TARGET_WORK_P95_MS} ms: ${met ? "met" : "MISSED"}`
				: "(comparison)";
			result.missed = targeted && !met;
			results.push(result);
			console.log(`work p95 ${fmt(result.workP95)} ms`);
		}
	} finally {
		await browser.close();
		server.close();
		await rm(outDir, { recursive: true, force: true });
	}

	console.log();
	console.log(
		`load average after: ${os
			.loadavg()
			.map((l) => l.toFixed(1))
			.join(" ")}`,
	);
	console.log(table(results));
	console.log();
	console.log(
		"work: rAF timestamp → first task after the frame was rendered (store flush, effects, style, layout, paint).",
	);
	console.log(
		"main CPU: the renderer main thread's CPU time (trace tdur) per second of the run and per frame; unlike work, not inflated by other processes.",
	);
	console.log(
		"interval: between rAF timestamps (60 Hz: 16.7 ms at best). dropped: vsync slots with no frame.",
	);
	const missed = results.filter((r) => r.missed).map((r) => r.scenario);
	const failed = results.filter((r) => r.error).map((r) => r.scenario);
	if (missed.length) console.log(`MISSED target: ${missed.join(", ")}`);
	if (failed.length) console.log(`could not run: ${failed.join(", ")}`);
	if (args.json) await writeFile(args.json, `${JSON.stringify({ seconds, results }, null, 2)}\n`);
	process.exitCode = failed.length ? 2 : missed.length ? 1 : 0;
}

await main();
