/**
 * The entry of the standalone dashboard page (`GET sse/dashboard`, see
 * `jupyter_sse/server/dashboard.py`): reads the inline config and mounts the page.
 */
import "./app.css";
import "./views/dashboard/page.css";
import { mount } from "svelte";
import Dashboard from "./views/Dashboard.svelte";
import { readConfig } from "./views/dashboard/config.js";
import { Theme } from "./views/dashboard/theme.svelte.js";

const root = document.getElementById("jupyter-sse-dashboard");
if (root === null) {
	throw new Error(
		"jupyter-sse: no #jupyter-sse-dashboard element on this page to mount the dashboard in",
	);
}
mount(Dashboard, { target: root, props: { config: readConfig(), theme: new Theme() } });
