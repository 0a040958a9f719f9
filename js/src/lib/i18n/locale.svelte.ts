/**
 * The locale the page speaks. Paraglide picks the first one (a choice kept in
 * localStorage, else the browser's `navigator.languages`, else English); from then on it
 * is a rune, so every message and every number drawn through `$lib/format` redraws when
 * the reader switches.
 */
import { setFormatLocale } from "$lib/format.js";
import {
	baseLocale,
	getLocale,
	isLocale,
	type Locale,
	locales,
	overwriteGetLocale,
	setLocale as keepLocale,
} from "./paraglide/runtime.js";

export type { Locale };
export { locales };

/** Each locale's name in its own language, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", th: "ไทย" };

class LocaleState {
	current = $state<Locale>(baseLocale);
}

const state = new LocaleState();
state.current = getLocale();
overwriteGetLocale(() => state.current);
setFormatLocale(() => intlLocale());

/** The locale in effect (reading it in a template redraws on a switch). */
export function locale(): Locale {
	return state.current;
}

/** Switches every view of the page to `next` and remembers it for the next visit. */
export function setLocale(next: string): void {
	if (!isLocale(next) || next === state.current) return;
	keepLocale(next, { reload: false });
	state.current = next;
}

let intlTag: { locale: Locale; tag: string } | null = null;
if (typeof window !== "undefined") {
	window.addEventListener("languagechange", () => {
		intlTag = null;
	});
}

/**
 * The tag given to `Intl`: the browser's own variant of the locale when it lists one
 * (`en-GB` keeps day-month dates), else the locale itself (`th`: Thai months and the
 * Buddhist era).
 */
export function intlLocale(): string {
	const current = state.current;
	if (intlTag?.locale !== current) {
		// Every number the page draws asks for it: worked out once per locale (and again
		// when the browser's languages change), not from `navigator.languages` per call.
		const languages = typeof navigator === "undefined" ? [] : navigator.languages;
		const tag = languages.find((l) => l.split("-")[0]?.toLowerCase() === current) ?? current;
		intlTag = { locale: current, tag };
	}
	return intlTag.tag;
}
