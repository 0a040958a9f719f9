import { describe, expect, it } from "vitest";
import { CONFIG_ELEMENT_ID, parseConfig, readConfig } from "./config.js";

function page(json: string): Document {
	const doc = document.implementation.createHTMLDocument("t");
	const script = doc.createElement("script");
	script.id = CONFIG_ELEMENT_ID;
	script.type = "application/json";
	script.textContent = json;
	doc.head.append(script);
	return doc;
}

describe("readConfig", () => {
	it("reads what the server writes", () => {
		const doc = page(
			'{"baseUrl": "/hub/user/alice/", "channels": ["train/*"], "viewer": true, "scope": ["train/*"]}',
		);
		expect(readConfig(doc)).toEqual({
			baseUrl: "/hub/user/alice/",
			channels: ["train/*"],
			viewer: true,
			scope: ["train/*"],
		});
	});

	it("adds the trailing slash a base URL needs", () => {
		expect(parseConfig({ baseUrl: "/user/bob" }).baseUrl).toBe("/user/bob/");
	});

	it("falls back to a Jupyter user at / when the block is missing or broken", () => {
		const fallback = { baseUrl: "/", channels: [], viewer: false, scope: null };
		expect(readConfig(document.implementation.createHTMLDocument("t"))).toEqual(fallback);
		expect(readConfig(page("{not json"))).toEqual(fallback);
		expect(parseConfig({ channels: [1, "a"], viewer: "yes", scope: "x" })).toEqual({
			...fallback,
			channels: ["a"],
		});
	});
});
