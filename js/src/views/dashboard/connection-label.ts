import type { ConnectionStatus } from "$lib/sse";

export type Tone = "success" | "warning" | "error" | "muted";

/**
 * The header's one-word summary of the stream, and its colour. `expired`: the server
 * refused a viewer's link on any request (a stream already open may outlive it).
 */
export function connectionLabel(
	status: ConnectionStatus | null,
	{ viewer, expired }: { viewer: boolean; expired: boolean },
): { text: string; tone: Tone } {
	if (expired) return { text: "Link expired", tone: "error" };
	switch (status) {
		case null:
			return { text: "Idle", tone: "muted" };
		case "open":
			return { text: "Live", tone: "success" };
		case "connecting":
			return { text: "Connecting", tone: "muted" };
		case "reconnecting":
			return { text: "Reconnecting", tone: "warning" };
		case "unauthorized":
			return { text: viewer ? "Link expired" : "Not authorized", tone: "error" };
		case "closed":
			return { text: "Offline", tone: "error" };
	}
}
