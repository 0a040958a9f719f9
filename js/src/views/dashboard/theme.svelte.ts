/**
 * The page's light/dark choice. The default follows the system (`prefers-color-scheme`)
 * and keeps following it until the user picks one; a pick is kept in localStorage.
 */
export type ThemeMode = "light" | "dark";

export const THEME_STORAGE_KEY = "jupyter-sse:dashboard-theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

/** What the theme needs of `window`; tests pass their own. */
export interface ThemeEnvironment {
	storage: Pick<Storage, "getItem" | "setItem"> | null;
	matchMedia: ((query: string) => MediaQueryList) | null;
}

function browserEnvironment(): ThemeEnvironment {
	let storage: Storage | null = null;
	try {
		storage = window.localStorage;
	} catch {
		// Storage disabled (privacy mode, sandboxed frame): the choice lasts for this page only.
	}
	return {
		storage,
		matchMedia: typeof window.matchMedia === "function" ? (q) => window.matchMedia(q) : null,
	};
}

function stored(storage: ThemeEnvironment["storage"]): ThemeMode | null {
	try {
		const value = storage?.getItem(THEME_STORAGE_KEY);
		return value === "light" || value === "dark" ? value : null;
	} catch {
		return null;
	}
}

export class Theme {
	/** The theme in effect. */
	mode = $state<ThemeMode>("light");
	/** True once the user picked a theme (it then no longer follows the system). */
	chosen = $state(false);

	readonly #env: ThemeEnvironment;
	readonly #media: MediaQueryList | null;
	readonly #onSystemChange = (event: MediaQueryListEvent): void => {
		if (!this.chosen) this.mode = event.matches ? "dark" : "light";
	};

	constructor(env: ThemeEnvironment = browserEnvironment()) {
		this.#env = env;
		this.#media = env.matchMedia?.(DARK_QUERY) ?? null;
		const saved = stored(env.storage);
		this.chosen = saved !== null;
		this.mode = saved ?? (this.#media?.matches ? "dark" : "light");
		this.#media?.addEventListener("change", this.#onSystemChange);
	}

	set(mode: ThemeMode): void {
		this.mode = mode;
		this.chosen = true;
		try {
			this.#env.storage?.setItem(THEME_STORAGE_KEY, mode);
		} catch {
			// Quota or privacy mode: the choice still holds until the page is closed.
		}
	}

	toggle(): void {
		this.set(this.mode === "dark" ? "light" : "dark");
	}

	/** Stops following the system setting. */
	dispose(): void {
		this.#media?.removeEventListener("change", this.#onSystemChange);
	}
}
