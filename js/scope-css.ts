import type { Plugin } from "postcss";

/**
 * Re-targets Tailwind's page-wide selectors at the widget root.
 *
 * Tailwind 4 declares its theme tokens on `:root, :host` and, for browsers without
 * `@property`, resets `--tw-*` on `*, ::before, ::after, ::backdrop`. In a widget both
 * would reach the host page (JupyterLab, VS Code, a docs site that runs its own
 * Tailwind), so every such selector is rewritten to live under `root`.
 */
export function scopeRootSelectors(root: string): Plugin {
	const rewrite: Readonly<Record<string, readonly string[]>> = {
		":root": [root],
		":host": [root],
		html: [root],
		body: [root],
		"*": [root, `${root} *`],
		"::before": [`${root}::before`, `${root} *::before`],
		"::after": [`${root}::after`, `${root} *::after`],
		"::backdrop": [`${root} ::backdrop`],
		// Tailwind's own minifier may already have shortened the pseudo-elements.
		":before": [`${root}:before`, `${root} *:before`],
		":after": [`${root}:after`, `${root} *:after`],
	};
	return {
		postcssPlugin: "jupyter-sse-scope-root",
		Rule(rule) {
			if (!rule.selectors.some((s) => s in rewrite)) return;
			const scoped = rule.selectors.flatMap((s) => rewrite[s] ?? [s]);
			rule.selectors = [...new Set(scoped)];
		},
	};
}
