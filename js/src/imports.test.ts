/**
 * The rooms of the front end and the way imports run between them (`npm run lint` runs
 * this file on its own):
 *
 *     views, widget.ts, routes/, lab.ts  →  lib/components  →  lib/state  →  lib/sse
 *
 * lib/sse is the wire (the stream client, the envelope, the name rules) and imports
 * nothing above it; lib/state builds the stores from what the wire hands it; the
 * components draw stores; the views and entries put pages together. lib/format.ts and
 * lib/utils.ts serve every layer and import none. No import cycle anywhere, type-only
 * and dynamic imports included. js/CONTRACT.md, "Layers", says the same in prose.
 */
import { describe, expect, it } from "vitest";
import {
	cycles,
	dirname,
	importGraph,
	isLocal,
	type Sources,
	specifiers,
} from "./test/import-graph.js";

const raw = import.meta.glob(["./**/*.ts", "./**/*.svelte"], {
	query: "?raw",
	import: "default",
	eager: true,
}) as Record<string, string>;
const sources: Sources = Object.fromEntries(
	Object.entries(raw).map(([path, source]) => [path.replace(/^\.\//, ""), source]),
);

// The dashboard's entry is SvelteKit's: its routes put the views on pages.
const ENTRIES = ["widget.ts", "routes/", "lab.ts"];
const isTest = (file: string): boolean => file.endsWith(".test.ts");

/** Which modules may not import which: `[importer prefix, forbidden target prefixes]`. */
const LAYERS: [string, string[]][] = [
	["lib/sse/", ["lib/state/", "lib/components/", "views/", ...ENTRIES]],
	["lib/state/", ["lib/components/", "views/", ...ENTRIES]],
	["lib/components/ui/", ["lib/components/live/", "lib/state/", "lib/sse/", "views/", ...ENTRIES]],
	["lib/i18n/", ["lib/sse/", "lib/state/", "lib/components/", "views/", ...ENTRIES]],
	["lib/", ["views/", ...ENTRIES]],
	// Helpers any layer may use, so they use no layer.
	["lib/format.ts", ["lib/", "views/", ...ENTRIES]],
	["lib/utils.ts", ["lib/", "views/", ...ENTRIES]],
];

/** `importer → target (specifier)` for each import from `from` into any of `forbidden`. */
function violations(
	graph: ReturnType<typeof importGraph>,
	from: string,
	forbidden: string[],
): string[] {
	const found: string[] = [];
	for (const [file, imports] of graph.imports) {
		if (!file.startsWith(from)) continue;
		for (const { specifier, target } of imports) {
			if (target !== null && forbidden.some((prefix) => target.startsWith(prefix))) {
				found.push(`${file} → ${target} (${specifier})`);
			}
		}
	}
	return found;
}

describe("the import graph of src/", () => {
	const graph = importGraph(sources);

	it("reads every module and resolves every local import", () => {
		expect(graph.imports.size).toBeGreaterThan(100);
		expect(graph.imports.has("lib/sse/client.ts")).toBe(true);
		expect(graph.imports.has("views/LiveView.svelte")).toBe(true);
		// The messages Paraglide generates (`lib/i18n/paraglide`, plain JS, not read here)
		// are the one thing imported that this graph does not hold.
		expect(graph.unresolved.filter((line) => !/: \.\/paraglide\//.test(line))).toEqual([]);
	});

	it("has no cycle", () => {
		expect(cycles(graph).map((cycle) => cycle.join(" → "))).toEqual([]);
	});

	it.each(LAYERS)("%s imports nothing from %j", (from, forbidden) => {
		expect(violations(graph, from, forbidden)).toEqual([]);
	});

	it("keeps the test helpers (src/test/) to the tests", () => {
		const found = [...graph.imports]
			.filter(([file]) => !isTest(file) && !file.startsWith("test/"))
			.flatMap(([file, imports]) =>
				imports
					.filter(({ target }) => target?.startsWith("test/"))
					.map(({ specifier }) => `${file}: ${specifier}`),
			);
		expect(found).toEqual([]);
	});

	it("reaches lib/ from another folder by `$lib/…`, and its own folder relatively", () => {
		const found: string[] = [];
		for (const [file, imports] of graph.imports) {
			for (const { specifier, target } of imports) {
				if (target === null) continue;
				const leaves = specifier.startsWith("../");
				if (leaves && target.startsWith("lib/")) found.push(`${file}: ${specifier} (use $lib)`);
				if (specifier.startsWith("$lib") && dirname(target) === dirname(file)) {
					found.push(`${file}: ${specifier} (own folder: use ./)`);
				}
			}
		}
		expect(found).toEqual([]);
	});

	it("names the file of each local import (`.js` for a TypeScript module) or a folder's index", () => {
		const found: string[] = [];
		for (const [file, imports] of graph.imports) {
			for (const { specifier, target } of imports) {
				if (target === null) continue;
				const named = /\.(js|svelte|css|json)$/.test(specifier) || target.endsWith("/index.ts");
				if (!named) found.push(`${file}: ${specifier}`);
			}
		}
		expect(found).toEqual([]);
	});
});

describe("the checks themselves", () => {
	// A made-up tree with each kind of fault, so a check that cannot fail is noticed.
	const tree: Sources = {
		"lib/sse/client.ts": 'import type { Store } from "$lib/state/store.js";\nexport const a = 1;',
		"lib/state/store.ts": 'import { a } from "$lib/sse/client.js";\nexport type Store = typeof a;',
		"lib/state/index.ts": 'export * from "./store.js";',
		"views/A.svelte":
			'<script lang="ts">\n\timport B from "./B.svelte";\n\t// import C from "./C.svelte";\n</script>\n<B />',
		"views/B.svelte": '<script module>\n\texport const x = await import("./A.svelte");\n</script>',
		"views/C.svelte": "<p>no script</p>",
		"views/missing.ts": 'import "./nowhere.js";\nimport "svelte";',
	};
	const graph = importGraph(tree);

	it("reads type-only, dynamic and `<script module>` imports, and skips comments and packages", () => {
		expect(specifiers("views/A.svelte", tree["views/A.svelte"]!)).toEqual(["./B.svelte"]);
		expect(specifiers("views/B.svelte", tree["views/B.svelte"]!)).toEqual(["./A.svelte"]);
		expect(isLocal("svelte")).toBe(false);
		expect(graph.unresolved).toEqual(["views/missing.ts: ./nowhere.js"]);
	});

	it("finds every cycle, type-only imports and .svelte scripts included", () => {
		expect(cycles(graph)).toEqual([
			["lib/sse/client.ts", "lib/state/store.ts", "lib/sse/client.ts"],
			["views/A.svelte", "views/B.svelte", "views/A.svelte"],
		]);
	});

	it("finds an import against the layers", () => {
		expect(violations(graph, "lib/sse/", ["lib/state/"])).toEqual([
			"lib/sse/client.ts → lib/state/store.ts ($lib/state/store.js)",
		]);
	});
});
