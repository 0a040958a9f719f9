/**
 * The dashboard's routes as URLs (`src/routes/` holds the pages). Every route is a real
 * address under `sse/dashboard`, so a reload or a bookmark shows the same page.
 */

/** The pages of the header's navigation. */
export type Section = "overview" | "channel" | "compare" | "system" | "activity" | "chat";

/** The server's own channels that have a page of their own. */
export const SYSTEM_CHANNEL = "jupyter/system";
export const ACTIVITY_CHANNEL = "jupyter/activity";

/**
 * A channel name as path segments. Each segment is percent-encoded but `/` is kept, so
 * `/channel/train/run-1` reads as the name; `*` needs no escape in a path.
 */
function namePath(name: string): string {
	return name.split("/").map(encodeURIComponent).join("/");
}

function query(channels: readonly string[]): string {
	const params = new URLSearchParams();
	for (const channel of channels) params.append("channel", channel);
	// `/` reads better than `%2F` in a shared address, and is legal in a query.
	const text = params.toString().replace(/%2F/gi, "/");
	return text ? `?${text}` : "";
}

export class DashboardPaths {
	/**
	 * @param base the dashboard's root without a trailing slash, e.g.
	 *   `/user/alice/sse/dashboard` (SvelteKit's `base`).
	 */
	constructor(readonly base: string) {}

	/** The paths of a Jupyter server whose base URL (ending in `/`) is `baseUrl`. */
	static forServer(baseUrl: string): DashboardPaths {
		return new DashboardPaths(`${baseUrl}sse/dashboard`);
	}

	/** SvelteKit's root route, which it always spells with a trailing slash. */
	overview(channels: readonly string[] = []): string {
		return `${this.base}/${query(channels)}`;
	}

	channel(name: string): string {
		return `${this.base}/channel/${namePath(name)}`;
	}

	compare(channels: readonly string[]): string {
		return `${this.base}/compare${query(channels)}`;
	}

	system(): string {
		return `${this.base}/system`;
	}

	activity(): string {
		return `${this.base}/activity`;
	}

	chat(channel: string): string {
		return `${this.base}/chat/${namePath(channel)}`;
	}
}
