import { m } from "$lib/i18n";
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
	if (expired) return { text: m.conn_link_expired(), tone: "error" };
	switch (status) {
		case null:
			return { text: m.conn_idle(), tone: "muted" };
		case "open":
			return { text: m.conn_live(), tone: "success" };
		case "connecting":
			return { text: m.conn_connecting(), tone: "muted" };
		case "reconnecting":
			return { text: m.conn_reconnecting(), tone: "warning" };
		case "unauthorized":
			return { text: viewer ? m.conn_link_expired() : m.conn_not_authorized(), tone: "error" };
		case "closed":
			return { text: m.conn_offline(), tone: "error" };
	}
}
