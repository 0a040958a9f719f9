// Builds the bench page: bench/frontend/index.html mounting js/src's LiveView and charts.
import path from "node:path";
import { benchDir, importFromJs, jsDir } from "./js-deps.mjs";

/**
 * Bare imports from the bench's own files (svelte, uplot, layerchart) are resolved as
 * if imported from js/src, so there is one copy of each package in the page.
 */
function resolveFromJs() {
	const anchor = path.join(jsDir, "src", "widget.ts");
	return {
		name: "bench-resolve-from-js",
		enforce: "pre",
		async resolveId(id, importer, options) {
			const bare =
				!id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0") && !id.includes(":");
			if (!bare || !importer || importer.startsWith(jsDir)) return null;
			return this.resolve(id, anchor, { ...options, skipSelf: true });
		},
	};
}

/**
 * `minify: false` is for profiles only (`run.mjs --cpuprofile`): function names stay
 * readable there, and the timed figures come from the minified build.
 */
export async function benchConfig(outDir, { minify = true } = {}) {
	const { svelte } = await importFromJs("@sveltejs/vite-plugin-svelte");
	const { default: tailwindcss } = await importFromJs("@tailwindcss/vite");
	return {
		configFile: false,
		root: benchDir,
		base: "./",
		logLevel: "warn",
		plugins: [
			resolveFromJs(),
			tailwindcss(),
			svelte({ configFile: path.join(jsDir, "svelte.config.js") }),
		],
		resolve: {
			alias: { $lib: path.join(jsDir, "src", "lib") },
			dedupe: ["svelte"],
		},
		build: {
			outDir,
			emptyOutDir: true,
			// A production build, as the widget ships: the figures include minification.
			minify,
			reportCompressedSize: false,
			chunkSizeWarningLimit: 4096,
			// The bundler's timing report is noise in the bench's output.
			rolldownOptions: { checks: { pluginTimings: false } },
		},
	};
}

// For running `vite build --config bench/frontend/vite.config.mjs` by hand.
export default () => benchConfig(path.join(benchDir, "dist"));
