import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { ChatApi } from "$lib/sse";
import { ChannelStore, ChatSession } from "$lib/state";
import ChatPanel from "./ChatPanel.svelte";
import { envelope } from "../../../test/live-events.js";

afterEach(cleanup);

const alice = { name: "alice", display_name: "Alice", kind: "user" };
const guest = { name: "viewer:abc", display_name: "Dana (review)", kind: "viewer" };

/** A ChatApi over a fetch that answers `info` and records what is posted. */
function api(mayChat: boolean, me = alice) {
	const posted: unknown[] = [];
	const fetchFn = (async (url: string, init: RequestInit) => {
		if ((init.method ?? "GET") === "GET") {
			return Response.json({
				author: me,
				may_chat: mayChat,
				may_moderate: mayChat && me.kind === "user",
				max_chars: 20,
			});
		}
		posted.push(JSON.parse(String(init.body)));
		return Response.json({ id: "new", event_id: "9" });
	}) as unknown as typeof fetch;
	return { api: new ChatApi("/", fetchFn), posted };
}

function storeWith(...messages: object[]): ChannelStore {
	const store = new ChannelStore("train");
	store.apply([
		envelope("train", "snapshot", {
			chat: messages,
			presence: {
				watchers: [
					{ ...alice, since: 1 },
					{ ...guest, since: 2 },
				],
				count: 2,
			},
		}),
	]);
	return store;
}

describe("ChatPanel", () => {
	it("shows text as text, links safely, replies with their quote and who watches", () => {
		const store = storeWith(
			{
				id: "m1",
				author: alice,
				ts: 1,
				text: '<img src=x onerror="alert(1)"> see https://a.test/x.',
			},
			{ id: "m2", author: guest, ts: 2, text: "javascript:alert(1)", reply_to: "m1" },
			{ id: "m3", author: guest, ts: 3, text: "late", reply_to: "gone" },
		);
		const { container } = render(ChatPanel, { session: new ChatSession(store, api(true).api) });
		const texts = [...container.querySelectorAll("[data-slot=chat-text]")];
		expect(texts[0]?.textContent).toBe('<img src=x onerror="alert(1)"> see https://a.test/x.');
		expect(container.querySelector("img")).toBeNull();
		const links = [...container.querySelectorAll("[data-slot=chat-text] a")];
		expect(links.map((a) => [a.getAttribute("href"), a.getAttribute("rel")])).toEqual([
			["https://a.test/x", "noopener noreferrer nofollow"],
		]);
		const quotes = [...container.querySelectorAll("[data-slot=chat-quote]")];
		expect(quotes[0]?.textContent).toContain("Alice:");
		expect(quotes[1]?.textContent).toContain("no longer shown");
		expect(screen.getByRole("img", { name: /2 watching: Alice, Dana \(review\)/ })).toBeTruthy();
	});

	it("sends on Enter, keeps Shift+Enter as a line break", async () => {
		const { api: chatApi, posted } = api(true);
		render(ChatPanel, { session: new ChatSession(storeWith(), chatApi) });
		const field = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
		await waitFor(() => expect(field.disabled).toBe(false));
		await fireEvent.input(field, { target: { value: "two\nlines" } });
		await fireEvent.keyDown(field, { key: "Enter", shiftKey: true });
		expect(posted).toEqual([]);
		await fireEvent.keyDown(field, { key: "Enter" });
		await waitFor(() => expect(posted).toEqual([{ channel: "train", text: "two\nlines" }]));
		await waitFor(() => expect(field.value).toBe(""));
	});

	it("disables the composer, with the reason, for a link without comment", async () => {
		render(ChatPanel, { session: new ChatSession(storeWith(), api(false, guest).api) });
		const field = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
		await waitFor(() => expect(screen.getByText(/lets you read, not write/)).toBeTruthy());
		expect(field.disabled).toBe(true);
		expect((screen.getByRole("button", { name: "Send" }) as HTMLButtonElement).disabled).toBe(true);
	});

	it("offers edit and delete on one's own messages only", async () => {
		const store = storeWith(
			{ id: "m1", author: guest, ts: 1, text: "mine" },
			{ id: "m2", author: alice, ts: 2, text: "theirs" },
		);
		const { container } = render(ChatPanel, {
			session: new ChatSession(store, api(true, guest).api),
		});
		await waitFor(() =>
			expect(screen.getAllByRole("button", { name: "Edit message" })).toHaveLength(1),
		);
		const mine = container.querySelector("[data-id=m1]");
		expect(mine?.getAttribute("data-mine")).toBe("true");
		expect(mine?.querySelector("[aria-label='Delete message']")).not.toBeNull();
		expect(container.querySelector("[data-id=m2] [aria-label='Delete message']")).toBeNull();
	});
});
