/**
 * English and Thai for every string of the dashboard and the widget: `m.name()` is the
 * message in the current locale (see `i18n.config.js` for why Paraglide).
 */
export { m } from "./paraglide/messages.js";
export { kernelStateLabel } from "./kernel-state.js";
export {
	intlLocale,
	LOCALE_NAMES,
	type Locale,
	locale,
	locales,
	setLocale,
} from "./locale.svelte.js";
