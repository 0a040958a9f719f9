import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Connection } from "$lib/sse";
import ConnectionAlert from "./ConnectionAlert.svelte";

afterEach(cleanup);

describe("ConnectionAlert", () => {
	it("stays hidden while the stream is fine", () => {
		const connection = new Connection();
		const { container } = render(ConnectionAlert, { connection });
		expect(container.querySelector("[data-slot=alert]")).toBeNull();
		connection.opened();
		flushSync();
		expect(container.querySelector("[data-slot=alert]")).toBeNull();
	});

	it("tells a reconnect is coming and retries on demand", async () => {
		const retry = vi.fn();
		const connection = new Connection(retry);
		connection.failed("reconnecting", "connection lost", Date.now() + 4000);
		render(ConnectionAlert, { connection });
		const alert = screen.getByRole("status");
		expect(alert.textContent).toContain("Reconnecting");
		expect(alert.textContent).toContain("connection lost");
		expect(alert.textContent).toMatch(/Next attempt in [34]s/);
		await fireEvent.click(screen.getByRole("button", { name: /Retry/ }));
		expect(retry).toHaveBeenCalledOnce();
	});

	it("asks to log in again when unauthorized", () => {
		const connection = new Connection();
		connection.failed("unauthorized", "403: token expired", Date.now() + 60000);
		render(ConnectionAlert, { connection });
		const alert = screen.getByRole("alert");
		expect(alert.dataset.status).toBe("unauthorized");
		expect(alert.textContent).toContain("Log in to Jupyter again");
		expect(screen.getByRole("button", { name: /Retry/ })).toBeTruthy();
	});

	it("shows why the stream closed", () => {
		const connection = new Connection();
		connection.closed("bad channel name");
		render(ConnectionAlert, { connection });
		const alert = screen.getByRole("alert");
		expect(alert.textContent).toContain("Disconnected");
		expect(alert.textContent).toContain("bad channel name");
	});
});
