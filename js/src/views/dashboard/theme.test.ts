import { describe, expect, it } from "vitest";
import { Theme, THEME_STORAGE_KEY, type ThemeEnvironment } from "./theme.svelte.js";

class FakeMedia extends EventTarget {
	constructor(public matches: boolean) {
		super();
	}
	flip(matches: boolean): void {
		this.matches = matches;
		this.dispatchEvent(Object.assign(new Event("change"), { matches }));
	}
}

function env(saved: string | null, systemDark: boolean) {
	const items = new Map<string, string>(saved === null ? [] : [[THEME_STORAGE_KEY, saved]]);
	const media = new FakeMedia(systemDark);
	const environment: ThemeEnvironment = {
		storage: { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) },
		matchMedia: () => media as unknown as MediaQueryList,
	};
	return { environment, items, media };
}

describe("Theme", () => {
	it("defaults to the system's preference and follows it until the user picks", () => {
		const { environment, media } = env(null, true);
		const theme = new Theme(environment);
		expect(theme.mode).toBe("dark");
		expect(theme.chosen).toBe(false);
		media.flip(false);
		expect(theme.mode).toBe("light");
		theme.dispose();
	});

	it("keeps a pick in storage, and then ignores the system", () => {
		const { environment, items, media } = env(null, false);
		const theme = new Theme(environment);
		theme.toggle();
		expect(theme.mode).toBe("dark");
		expect(items.get(THEME_STORAGE_KEY)).toBe("dark");
		media.flip(false);
		expect(theme.mode).toBe("dark");
	});

	it("starts from a saved pick over the system's preference", () => {
		expect(new Theme(env("light", true).environment).mode).toBe("light");
		expect(new Theme(env("dark", false).environment).mode).toBe("dark");
		expect(new Theme(env("purple", true).environment).mode).toBe("dark");
	});

	it("works without storage or matchMedia", () => {
		const theme = new Theme({ storage: null, matchMedia: null });
		expect(theme.mode).toBe("light");
		theme.set("dark");
		expect(theme.mode).toBe("dark");
	});

	it("survives a storage that throws", () => {
		const throwing: ThemeEnvironment = {
			storage: {
				getItem: () => {
					throw new Error("denied");
				},
				setItem: () => {
					throw new Error("quota");
				},
			},
			matchMedia: null,
		};
		const theme = new Theme(throwing);
		expect(() => theme.toggle()).not.toThrow();
		expect(theme.mode).toBe("dark");
	});
});
