import { describe, expect, it } from "vitest";
// The cases the server's tests read too (see patterns.ts): one file pins both sides.
import cases from "../../../../tests/wire/name_cases.json";
import { isChannel, isValidSubscription, patternMatches, scopeCovers } from "./patterns.js";

describe("the server's name rules (tests/wire/name_cases.json)", () => {
	it("has cases of every kind", () => {
		for (const list of [cases.channels.valid, cases.channels.invalid])
			expect(list.length).toBeGreaterThan(0);
		for (const list of [cases.patterns.valid, cases.patterns.invalid])
			expect(list.length).toBeGreaterThan(0);
		expect(cases.scope.some((c) => c.covers)).toBe(true);
		expect(cases.scope.some((c) => !c.covers)).toBe(true);
	});

	it.each(cases.channels.valid.map((name) => [JSON.stringify(name), name]))(
		"channel %s is valid",
		(_, name) => {
			expect(isChannel(name)).toBe(true);
		},
	);

	it.each(cases.channels.invalid.map((name) => [JSON.stringify(name), name]))(
		"channel %s is invalid",
		(_, name) => {
			expect(isChannel(name)).toBe(false);
		},
	);

	it.each(cases.patterns.valid.map((name) => [JSON.stringify(name), name]))(
		"subscription %s is valid",
		(_, name) => {
			expect(isValidSubscription(name)).toBe(true);
		},
	);

	it.each(cases.patterns.invalid.map((name) => [JSON.stringify(name), name]))(
		"subscription %s is invalid",
		(_, name) => {
			expect(isValidSubscription(name)).toBe(false);
		},
	);

	it.each(cases.matches.map((c) => [c.pattern, c.channel, c.matches] as const))(
		"pattern %s matches %s: %s",
		(pattern, channel, matches) => {
			expect(patternMatches(pattern, channel)).toBe(matches);
		},
	);

	it.each(cases.scope.map((c) => [JSON.stringify(c.scope), c.pattern, c.covers, c.scope] as const))(
		"scope %s covers %s: %s",
		(_, pattern, covers, scope) => {
			expect(scopeCovers(scope, pattern)).toBe(covers);
		},
	);
});

describe("patternMatches", () => {
	it("matches a name exactly and a pattern by its prefix", () => {
		expect(patternMatches("train/run-1", "train/run-1")).toBe(true);
		expect(patternMatches("train/run-1", "train/run-10")).toBe(false);
		expect(patternMatches("train/*", "train/run-1")).toBe(true);
		expect(patternMatches("train/*", "train")).toBe(false);
		expect(patternMatches("*", "anything")).toBe(true);
	});
});

describe("names and scope", () => {
	it("accepts what the server accepts", () => {
		for (const ok of ["train", "train/run-1", "a.b:c_d-e", "train/*", "*", "x".repeat(128)]) {
			expect(isValidSubscription(ok), ok).toBe(true);
		}
		for (const bad of ["", "has space", "a*b", "**", "é", "x".repeat(129), "train/**"]) {
			expect(isValidSubscription(bad), bad).toBe(false);
		}
	});

	it("covers like the server's scope_covers", () => {
		const scope = ["train/*", "demo"];
		expect(scopeCovers(scope, "train/run-1")).toBe(true);
		expect(scopeCovers(scope, "train/*")).toBe(true);
		expect(scopeCovers(scope, "train/run-*")).toBe(true);
		expect(scopeCovers(scope, "demo")).toBe(true);
		// A wider pattern could match channels outside the scope: refused, as by the server.
		expect(scopeCovers(scope, "*")).toBe(false);
		expect(scopeCovers(scope, "demo*")).toBe(false);
		expect(scopeCovers(scope, "demo/x")).toBe(false);
		expect(scopeCovers(scope, "secret")).toBe(false);
		expect(scopeCovers(null, "anything")).toBe(true);
		expect(scopeCovers([], "anything")).toBe(false);
	});
});
