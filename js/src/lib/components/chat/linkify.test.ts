import { describe, expect, it } from "vitest";
import { initials, linkify } from "./linkify.js";

describe("linkify", () => {
	it("splits text and http(s) links, leaving sentence punctuation out", () => {
		expect(linkify("see https://example.org/a?b=1. and http://x.test")).toEqual([
			{ kind: "text", text: "see " },
			{ kind: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
			{ kind: "text", text: ". and " },
			{ kind: "link", text: "http://x.test", href: "http://x.test/" },
		]);
	});

	it("keeps markup and other schemes as text", () => {
		const text = '<a href="javascript:alert(1)">x</a> JavaScript:alert(1) data:text/html,hi';
		expect(linkify(text)).toEqual([{ kind: "text", text }]);
	});

	it("keeps a parenthesis that belongs to the URL", () => {
		const [, link] = linkify("(https://en.wikipedia.org/wiki/Foo_(bar))");
		expect(link).toMatchObject({ kind: "link", text: "https://en.wikipedia.org/wiki/Foo_(bar)" });
	});
});

describe("initials", () => {
	it("takes the first letters of up to two words", () => {
		expect(initials("Dana (review)")).toBe("DR");
		expect(initials("alice")).toBe("A");
		expect(initials("  ")).toBe("?");
	});
});
