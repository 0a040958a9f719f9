import { type ConfigEnv, defineConfig, mergeConfig, type UserConfig } from "vite";
import widget from "./vite.config.ts";

// The standalone page (`sse/dashboard`): the widget's plugins, aliases and CSS scoping,
// its own entry. A second build, not a second entry of one build: the widget must stay
// one self-contained module (anywidget loads a single file), so no chunk may be shared.
export default defineConfig((env: ConfigEnv) =>
	mergeConfig((widget as (env: ConfigEnv) => UserConfig)(env), {
		build: {
			lib: { entry: "src/dashboard.ts", fileName: () => "dashboard.js", cssFileName: "dashboard" },
		},
	}),
);
