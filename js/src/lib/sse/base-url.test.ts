import { describe, expect, it } from "vitest";
import { pageBaseUrl } from "./base-url.js";

function page(config: string | null): Document {
	const doc = document.implementation.createHTMLDocument();
	if (config !== null) {
		const script = doc.createElement("script");
		script.id = "jupyter-config-data";
		script.type = "application/json";
		script.textContent = config;
		doc.body.append(script);
	}
	return doc;
}

describe("pageBaseUrl", () => {
	it("reads JupyterLab's and Notebook 7's config block", () => {
		expect(pageBaseUrl(page(JSON.stringify({ baseUrl: "/user/alice/" })))).toBe("/user/alice/");
	});

	it("adds the trailing slash the stream URL is built on", () => {
		expect(pageBaseUrl(page(JSON.stringify({ baseUrl: "/hub/x" })))).toBe("/hub/x/");
	});

	it("falls back to / without a config block, or with a broken one", () => {
		expect(pageBaseUrl(page(null))).toBe("/");
		expect(pageBaseUrl(page("{not json"))).toBe("/");
		expect(pageBaseUrl(page(JSON.stringify({ baseUrl: 3 })))).toBe("/");
	});
});
