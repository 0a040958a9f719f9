/**
 * Paraglide JS compiles `messages/{en,th}.json` into one typed function per message
 * (`src/lib/i18n/paraglide`, generated, not committed). Chosen over svelte-i18n for the
 * two things that matter to a widget loaded into every notebook: size, since a bundle
 * carries only the messages it calls and no ICU parser at run time (svelte-i18n ships
 * intl-messageformat, ~15 kB gzipped); and types, since a missing message or a wrong
 * parameter is a compile error, not a key string that renders as itself.
 *
 * The vite builds (widget, dashboard, vitest) compile through the plugin; `npm run i18n`
 * runs this file to compile for svelte-check.
 */
import { pathToFileURL } from "node:url";

/** @type {import("@inlang/paraglide-js").CompilerOptions} */
export const paraglideOptions = {
	project: "./project.inlang",
	outdir: "./src/lib/i18n/paraglide",
	// A pick in the header, kept; else the browser's languages; else English.
	strategy: ["localStorage", "preferredLanguage", "baseLocale"],
	localStorageKey: "jupyter-sse:locale",
	isServer: 'typeof window === "undefined"',
	emitReadme: false,
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const { compile } = await import("@inlang/paraglide-js");
	await compile(paraglideOptions);
}
