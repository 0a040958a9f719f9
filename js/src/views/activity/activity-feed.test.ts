import { afterEach, describe, expect, it, vi } from "vitest";
import { ClientRegistry } from "$lib/state";
import { FakeEventSource, ManualFrames, envelope } from "../../test/fake-event-source.js";
import { ActivityFeed } from "./activity-feed.svelte.js";
import { BrowserNotifications } from "./notifications.svelte.js";

function setup() {
	const sources: FakeEventSource[] = [];
	const frames = new ManualFrames();
	const registry = new ClientRegistry({
		createEventSource: (url) => {
			const source = new FakeEventSource(url);
			sources.push(source);
			return source;
		},
		schedule: frames.schedule,
		resubscribeDelayMs: 0,
	});
	const feed = new ActivityFeed(registry, "/");
	return { feed, frames, source: () => sources.at(-1)! };
}

const status = (key: string, value: string, path: string | null = "train.ipynb") => ({
	key,
	value,
	variant: "default",
	path,
	kernel_name: "python3",
});

describe("ActivityFeed", () => {
	afterEach(() => {
		vi.useRealTimers();
		vi.unstubAllGlobals();
	});

	it("keeps lifecycle changes and notices as a feed, busy and idle as the state only", async () => {
		vi.useFakeTimers();
		const { feed, frames, source } = setup();
		await vi.advanceTimersByTimeAsync(0);
		expect(source().channels).toEqual(["jupyter/activity"]);
		source().open();
		source().send(
			envelope("jupyter/activity", "snapshot", { status: { k1: status("k1", "idle") } }),
		);
		source().send(envelope("jupyter/activity", "status", status("k2", "starting", null), 1001));
		source().send(envelope("jupyter/activity", "status", status("k1", "busy"), 1002));
		source().send(
			envelope(
				"jupyter/activity",
				"notify",
				{ message: "train.ipynb: cell 3 finished in 14 s", title: "train.ipynb", level: "success" },
				1003,
			),
		);
		frames.run();
		expect(
			feed.items.map((i) => (i.kind === "notice" ? i.message : `${i.kernel} ${i.state}`)),
		).toEqual(["train.ipynb: cell 3 finished in 14 s", "k2 starting"]);
		expect(feed.kernels.k1).toMatchObject({ state: "busy", path: "train.ipynb" });
		expect(Object.keys(feed.kernels)).toEqual(["k1", "k2"]);
		feed.dispose();
	});

	it("raises a browser notification for a notify only while the page is hidden", async () => {
		vi.useFakeTimers();
		const shown: string[] = [];
		class FakeNotification {
			static permission = "granted";
			static requestPermission = async () => "granted";
			constructor(title: string, options: { body: string }) {
				shown.push(`${title}: ${options.body}`);
			}
		}
		vi.stubGlobal("Notification", FakeNotification);
		let hidden = false;
		vi.spyOn(document, "hidden", "get").mockImplementation(() => hidden);
		const { feed, frames, source } = setup();
		const notifications = new BrowserNotifications(feed.client);
		await notifications.enable();
		expect(notifications.active).toBe(true);
		await vi.advanceTimersByTimeAsync(0);
		source().open();
		const notice = { message: "cell 1 finished in 3 s", title: "train.ipynb" };
		source().send(envelope("jupyter/activity", "notify", notice));
		frames.run();
		expect(shown).toEqual([]);
		hidden = true;
		source().send(envelope("jupyter/activity", "notify", notice));
		frames.run();
		expect(shown).toEqual(["train.ipynb: cell 1 finished in 3 s"]);
		notifications.disable();
		source().send(envelope("jupyter/activity", "notify", notice));
		frames.run();
		expect(shown).toHaveLength(1);
		notifications.dispose();
		feed.dispose();
	});
});
