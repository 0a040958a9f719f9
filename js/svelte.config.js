import { fileURLToPath } from "node:url";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";
import dashboardAdapter from "./kit-adapter.js";

/** @type {import("@sveltejs/kit").Config} */
export default {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	// The dashboard (`sse/dashboard`, vite.dashboard.config.ts). The widget's build
	// (vite.config.ts) reads only the two settings above.
	kit: {
		adapter: dashboardAdapter({
			out: fileURLToPath(new URL("../jupyter_sse/static/dashboard", import.meta.url)),
		}),
		// The pages are written by the server (see kit-adapter.js), which knows the base.
		paths: { relative: true },
		// A fixed name keeps rebuilds of the same source byte-identical.
		version: { name: "jupyter-sse" },
	},
};
