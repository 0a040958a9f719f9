// The bench has no node_modules of its own: it uses the front end's (js/), so it
// measures exactly the versions the widget ships with.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const jsDir = path.resolve(benchDir, "../../js");

/** Imports an ESM package as installed under js/node_modules. */
export async function importFromJs(name) {
	const manifestPath = path.join(jsDir, "node_modules", name, "package.json");
	const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
	let entry = manifest.exports?.["."] ?? manifest.exports ?? manifest.module ?? manifest.main;
	while (entry && typeof entry === "object") entry = entry.import ?? entry.default;
	if (typeof entry !== "string") throw new Error(`cannot find the entry of ${name}`);
	return import(pathToFileURL(path.join(path.dirname(manifestPath), entry)).href);
}
