import { describe, expect, it } from "vitest";
import { connectionLabel } from "./connection-label.js";

describe("connectionLabel", () => {
	it("names every state of the stream", () => {
		const as = { viewer: false, expired: false };
		expect(connectionLabel(null, as)).toEqual({ text: "Idle", tone: "muted" });
		expect(connectionLabel("open", as)).toEqual({ text: "Live", tone: "success" });
		expect(connectionLabel("connecting", as).text).toBe("Connecting");
		expect(connectionLabel("reconnecting", as).tone).toBe("warning");
		expect(connectionLabel("closed", as).text).toBe("Offline");
		expect(connectionLabel("unauthorized", as).text).toBe("Not authorized");
	});

	it("tells a viewer its link expired, even while an old stream is still open", () => {
		expect(connectionLabel("unauthorized", { viewer: true, expired: false }).text).toBe(
			"Link expired",
		);
		expect(connectionLabel("open", { viewer: true, expired: true })).toEqual({
			text: "Link expired",
			tone: "error",
		});
	});
});
