import { sveltekit } from "@sveltejs/kit/vite";
import { paraglideVitePlugin } from "@inlang/paraglide-js";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { paraglideOptions } from "./i18n.config.js";
import { scopeRootSelectors } from "./scope-css.ts";

// The dashboard (`sse/dashboard`): a SvelteKit app (routes in src/routes, adapter and
// output in svelte.config.js). A build of its own, not an entry of the widget's: the
// widget must stay one self-contained module (anywidget loads a single file), so no
// chunk may be shared.
export default defineConfig({
	plugins: [paraglideVitePlugin(paraglideOptions), tailwindcss(), sveltekit()],
	// The same tokens as the widget, under the same `.jupyter-sse` root.
	css: { postcss: { plugins: [scopeRootSelectors(".jupyter-sse")] } },
});
