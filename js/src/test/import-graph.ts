/**
 * The import graph of `src/`, for `src/imports.test.ts`: every module and what it
 * imports, type-only and dynamic imports and the `<script>` blocks of `.svelte` files
 * included. Pure functions over `{ path: source }`, so a test can also hand them a
 * made-up tree and watch them fail.
 */
import ts from "typescript";

/** Paths are relative to `src/`, without `./`: `lib/sse/client.ts`, `views/LiveView.svelte`. */
export type Sources = Readonly<Record<string, string>>;

export interface Import {
	/** As written: `./feed.js`, `$lib/sse`. */
	specifier: string;
	/** The module it resolves to, or `null` for a package or a file outside `src/`. */
	target: string | null;
}

export interface ImportGraph {
	/** Every module's local imports, in source order. */
	readonly imports: ReadonlyMap<string, readonly Import[]>;
	/** `file: specifier` of each local import that names no module of the tree. */
	readonly unresolved: readonly string[];
}

const SCRIPT = /<script\b[^>]*>([\s\S]*?)<\/script>/g;
// Imports of files that are not modules of the graph (styles, data): leaves.
const ASSET = /\.(css|json)$/;

/** The specifiers a module imports (statically, for types only, or dynamically). */
export function specifiers(path: string, source: string): string[] {
	const scripts = path.endsWith(".svelte")
		? [...source.matchAll(SCRIPT)].map((match) => match[1] ?? "")
		: [source];
	return scripts.flatMap((script) =>
		ts.preProcessFile(script, true, true).importedFiles.map((file) => file.fileName),
	);
}

export function dirname(path: string): string {
	const slash = path.lastIndexOf("/");
	return slash < 0 ? "" : path.slice(0, slash);
}

/** `from` joined with a relative `specifier`; `null` when it climbs out of `src/`. */
function join(from: string, specifier: string): string | null {
	const parts = from === "" ? [] : from.split("/");
	for (const part of specifier.split("/")) {
		if (part === "." || part === "") continue;
		if (part === "..") {
			if (parts.length === 0) return null;
			parts.pop();
		} else {
			parts.push(part);
		}
	}
	return parts.join("/");
}

export function isLocal(specifier: string): boolean {
	return (
		specifier.startsWith("./") || specifier.startsWith("../") || /^\$lib(\/|$)/.test(specifier)
	);
}

/** The module `specifier` names from `file`, as the bundler finds it. */
export function resolve(
	sources: Sources,
	file: string,
	specifier: string,
): string | null | undefined {
	const path = specifier.startsWith("$lib")
		? `lib${specifier.slice("$lib".length)}`
		: join(dirname(file), specifier);
	if (path === null) return null;
	const candidates = [
		path,
		path.endsWith(".js") ? `${path.slice(0, -3)}.ts` : null,
		`${path}.ts`,
		`${path}/index.ts`,
	];
	return candidates.find((candidate) => candidate !== null && candidate in sources);
}

export function importGraph(sources: Sources): ImportGraph {
	const imports = new Map<string, Import[]>();
	const unresolved: string[] = [];
	for (const [file, source] of Object.entries(sources)) {
		const list: Import[] = [];
		for (const specifier of specifiers(file, source)) {
			if (!isLocal(specifier)) continue;
			const target = resolve(sources, file, specifier);
			if (target === undefined && !ASSET.test(specifier)) unresolved.push(`${file}: ${specifier}`);
			list.push({ specifier, target: target ?? null });
		}
		imports.set(file, list);
	}
	return { imports, unresolved };
}

/**
 * Every cycle of the graph, each as the path that closes it (`a → b → a`). Finds the
 * strongly connected components (Tarjan) and one cycle through each, so a tangle of
 * many modules is reported once, not once per loop.
 */
export function cycles(graph: ImportGraph): string[][] {
	const next = (file: string): string[] =>
		(graph.imports.get(file) ?? []).flatMap(({ target }) =>
			target !== null && graph.imports.has(target) ? [target] : [],
		);
	const index = new Map<string, number>();
	const low = new Map<string, number>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const components: string[][] = [];
	let counter = 0;

	const visit = (file: string): void => {
		index.set(file, counter);
		low.set(file, counter);
		counter += 1;
		stack.push(file);
		onStack.add(file);
		for (const target of next(file)) {
			if (!index.has(target)) {
				visit(target);
				low.set(file, Math.min(low.get(file)!, low.get(target)!));
			} else if (onStack.has(target)) {
				low.set(file, Math.min(low.get(file)!, index.get(target)!));
			}
		}
		if (low.get(file) !== index.get(file)) return;
		const component: string[] = [];
		let member: string;
		do {
			member = stack.pop()!;
			onStack.delete(member);
			component.push(member);
		} while (member !== file);
		if (component.length > 1 || next(file).includes(file)) components.push(component);
	};
	for (const file of [...graph.imports.keys()].sort()) if (!index.has(file)) visit(file);

	// One cycle through each component: a shortest way back to its first module.
	return components.map((component) => {
		const members = new Set(component);
		const start = [...component].sort()[0]!;
		const previous = new Map<string, string>();
		const queue = [start];
		while (queue.length > 0) {
			const file = queue.shift()!;
			for (const target of next(file)) {
				if (!members.has(target)) continue;
				if (target === start) {
					const path = [file];
					while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
					return [...path, start];
				}
				if (!previous.has(target)) {
					previous.set(target, file);
					queue.push(target);
				}
			}
		}
		return [start, start];
	});
}
