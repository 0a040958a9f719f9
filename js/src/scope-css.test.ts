import postcss from "postcss";
import { describe, expect, it } from "vitest";
import { scopeRootSelectors } from "../scope-css.ts";

async function scoped(css: string): Promise<string> {
	const result = await postcss([scopeRootSelectors(".jupyter-sse")]).process(css, {
		from: undefined,
	});
	return result.css;
}

describe("scopeRootSelectors", () => {
	it("moves Tailwind's page-wide token rules onto the widget root", async () => {
		expect(await scoped(":root, :host { --radius: 1rem }")).toBe(".jupyter-sse { --radius: 1rem }");
	});

	it("scopes the universal fallback rule, in either pseudo-element spelling", async () => {
		expect(await scoped("*, ::before, :after, ::backdrop { --tw-x: 0 }")).toBe(
			".jupyter-sse, .jupyter-sse *, .jupyter-sse::before, .jupyter-sse *::before, " +
				".jupyter-sse:after, .jupyter-sse *:after, .jupyter-sse ::backdrop { --tw-x: 0 }",
		);
	});

	it("leaves class selectors and compound selectors alone", async () => {
		const css = ".flex { display: flex } body.jupyter-sse-page { margin: 0 } .a * { x: y }";
		expect(await scoped(css)).toBe(css);
	});
});
