/**
 * Chat text as parts to draw: plain text, and `http:`/`https:` links. Nothing of the
 * text becomes markup but those links (js/CONTRACT.md, "Chat and presence"): the view
 * draws `text` parts as text nodes and `link` parts as `<a href>` with `rel="noopener
 * noreferrer nofollow"`. A `javascript:` or `data:` URL stays text, whatever its case.
 */
export type TextPart =
	{ kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// Candidates only: each is then parsed by `URL`, and kept only with an http(s) scheme.
const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence more often than a URL: "see https://x.org/a."
const TRAILING = ".,;:!?)]}";

export function linkify(text: string): TextPart[] {
	const parts: TextPart[] = [];
	let last = 0;
	for (const match of text.matchAll(CANDIDATE)) {
		const candidate = trimEnd(match[0]);
		const href = safeHref(candidate);
		if (href === null) continue;
		const start = match.index;
		if (start > last) parts.push({ kind: "text", text: text.slice(last, start) });
		parts.push({ kind: "link", text: candidate, href });
		last = start + candidate.length;
	}
	if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
	return parts;
}

/** Drops trailing punctuation, but a ")" that closes a "(" of the URL (Wikipedia links). */
function trimEnd(candidate: string): string {
	let end = candidate.length;
	while (end > 0 && TRAILING.includes(candidate[end - 1]!)) {
		const head = candidate.slice(0, end);
		if (head.endsWith(")") && count(head, "(") >= count(head, ")")) break;
		end -= 1;
	}
	return candidate.slice(0, end);
}

function count(text: string, char: string): number {
	return text.split(char).length - 1;
}

function safeHref(candidate: string): string | null {
	try {
		const url = new URL(candidate);
		return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
	} catch {
		return null;
	}
}

/** Up to two initials of a display name: "Dana (review)" → "DR", "alice" → "A". */
export function initials(name: string): string {
	const words = name.match(/[\p{L}\p{N}]+/gu) ?? [];
	const letters = words.slice(0, 2).map((w) => [...w][0]!.toUpperCase());
	return letters.join("") || "?";
}
