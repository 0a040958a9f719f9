import { describe, expect, it } from "vitest";
// The cases the server's tests read too (tests/server/test_chat_cases.py): one file pins
// both sides to the shapes of jupyter_sse/wire/events.py.
import cases from "../../../../tests/wire/chat_cases.json";
import {
	isAuthor,
	isChatDelete,
	isChatEdit,
	isChatMessage,
	isPresence,
	parseEnvelope,
	SERVER_TYPES,
} from "./types.js";

const checks = {
	chat: isChatMessage,
	chat_edit: isChatEdit,
	chat_delete: isChatDelete,
	presence: isPresence,
} as const;

describe("chat and presence data (tests/wire/chat_cases.json)", () => {
	it("has a check for every type only the server writes", () => {
		expect(Object.keys(checks).sort()).toEqual([...SERVER_TYPES].sort());
	});

	for (const [type, check] of Object.entries(checks)) {
		const { valid, invalid } = cases[type as keyof typeof checks];

		it.each(valid.map((data, i) => [i, data]))(`${type} case %i is valid`, (_, data) => {
			expect(check(data)).toBe(true);
		});

		it.each(invalid.map((data, i) => [i, data]))(`${type} case %i is refused`, (_, data) => {
			expect(check(data)).toBe(false);
		});
	}

	it("reads an author as the server stamps it, and nothing else", () => {
		expect(isAuthor({ name: "k", display_name: "alice", kind: "kernel" })).toBe(true);
		expect(isAuthor({ name: "x", display_name: "X", kind: "admin" })).toBe(false);
		expect(isAuthor({ name: "x", kind: "user" })).toBe(false);
		expect(isAuthor({ name: "x", display_name: "X", kind: "user", avatar: 1 })).toBe(false);
	});

	it("leaves a message's text as it came: markup is text", () => {
		const text = '<img src=x onerror="alert(1)">\nline two';
		const envelope = parseEnvelope(
			JSON.stringify({
				channel: "talk",
				type: "chat",
				ts: 1,
				data: { ...cases.chat.valid[0], text },
			}),
		);
		expect(envelope).not.toBeNull();
		expect(isChatMessage(envelope?.data)).toBe(true);
		expect((envelope?.data as { text: string }).text).toBe(text);
	});
});
