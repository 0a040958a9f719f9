/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { paraglideVitePlugin } from "@inlang/paraglide-js";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { paraglideOptions } from "./i18n.config.js";
import { scopeRootSelectors } from "./scope-css.ts";

const outDir = fileURLToPath(new URL("../jupyter_sse/static", import.meta.url));

export default defineConfig(({ mode }) => ({
	// Vitest runs on messages compiled by `npm run i18n` (see `npm test`): the plugin
	// would keep watching them and hold the test run open.
	plugins: [
		process.env.VITEST ? [] : paraglideVitePlugin(paraglideOptions),
		tailwindcss(),
		svelte(),
	],
	resolve: {
		alias: { $lib: fileURLToPath(new URL("./src/lib", import.meta.url)) },
		// Vitest runs under node, where svelte would otherwise resolve to its server build
		// and `mount` would throw; the widget only ever runs in a browser.
		conditions: process.env.VITEST ? ["browser"] : undefined,
	},
	// Library mode leaves `process.env.NODE_ENV` alone (a library's user would replace it),
	// but this bundle runs in a browser as is, where `process` does not exist.
	define: {
		"process.env.NODE_ENV": JSON.stringify(mode === "development" ? "development" : "production"),
	},
	css: {
		postcss: { plugins: [scopeRootSelectors(".jupyter-sse")] },
	},
	build: {
		outDir,
		// Two builds (widget, dashboard) share the directory, and the file names are fixed,
		// so nothing stale can pile up: never wipe the other build's files.
		emptyOutDir: false,
		// anywidget loads exactly one ES module (`_esm`) and one stylesheet (`_css`).
		lib: {
			entry: "src/widget.ts",
			formats: ["es"],
			fileName: () => "widget.js",
			cssFileName: "widget",
		},
		cssCodeSplit: false,
		sourcemap: mode === "development" ? "inline" : false,
		minify: mode !== "development",
	},
	test: {
		environment: "jsdom",
		include: ["src/**/*.test.ts"],
		restoreMocks: true,
	},
}));
