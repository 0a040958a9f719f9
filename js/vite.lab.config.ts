import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { scopeRootSelectors } from "./scope-css.ts";

// The JupyterLab extension (js/labextension) imports this build as `./views.js` next to
// its own compiled modules; JupyterLab's builder then bundles both and the stylesheet.
const outDir = fileURLToPath(new URL("./labextension/lib", import.meta.url));

export default defineConfig(({ mode }) => ({
	plugins: [tailwindcss(), svelte()],
	resolve: {
		alias: { $lib: fileURLToPath(new URL("./src/lib", import.meta.url)) },
	},
	define: {
		"process.env.NODE_ENV": JSON.stringify(mode === "development" ? "development" : "production"),
	},
	css: {
		postcss: { plugins: [scopeRootSelectors(".jupyter-sse")] },
	},
	build: {
		outDir,
		// tsc writes the extension's own modules into the same folder.
		emptyOutDir: false,
		lib: {
			entry: "src/lab.ts",
			formats: ["es"],
			fileName: () => "views.js",
			cssFileName: "views",
		},
		cssCodeSplit: false,
		sourcemap: mode === "development" ? "inline" : false,
		minify: mode !== "development",
	},
}));
