import { cleanup, render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { Badge, type BadgeVariant } from "./index.js";

afterEach(cleanup);

const text = (t: string) => createRawSnippet(() => ({ render: () => `<span>${t}</span>` }));

describe("Badge", () => {
	const variants: [BadgeVariant, string][] = [
		["default", "bg-primary"],
		["success", "text-success"],
		["warning", "text-warning"],
		["error", "text-destructive"],
		["info", "text-info"],
	];

	it.each(variants)("renders the %s variant with its token classes", (variant, token) => {
		render(Badge, { variant, children: text(variant) });
		const badge = screen.getByText(variant).parentElement!;
		expect(badge.dataset.slot).toBe("badge");
		expect(badge.dataset.variant).toBe(variant);
		expect(badge.className).toContain(token);
	});

	it("announces changes politely", () => {
		render(Badge, { children: text("42") });
		const badge = screen.getByText("42").parentElement!;
		expect(badge.getAttribute("aria-live")).toBe("polite");
		expect(badge.getAttribute("aria-atomic")).toBe("true");
	});

	it("lets the caller add classes over the recipe", () => {
		render(Badge, { class: "px-4", children: text("x") });
		const badge = screen.getByText("x").parentElement!;
		expect(badge.className).toContain("px-4");
		expect(badge.className).not.toContain("px-2");
	});
});
