import { describe, expect, it } from "vitest";
import { drawSoon } from "./draw-queue.js";

describe("drawSoon", () => {
	it("runs the draws of a task together, after it, in the order asked", async () => {
		const drawn: string[] = [];
		drawSoon(() => drawn.push("a"));
		drawSoon(() => drawn.push("b"));
		drawn.push("task goes on");
		expect(drawn).toEqual(["task goes on"]);
		await Promise.resolve();
		expect(drawn).toEqual(["task goes on", "a", "b"]);
	});

	it("skips a cancelled draw, and runs a draw asked for by a draw", async () => {
		const drawn: string[] = [];
		const cancel = drawSoon(() => drawn.push("gone"));
		drawSoon(() => {
			drawn.push("first");
			drawSoon(() => drawn.push("then"));
		});
		cancel();
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(drawn).toEqual(["first", "then"]);
	});
});

describe("drawSoon, asked for while draws run", () => {
	it("runs a draw added by an earlier draw of the same batch, and skips one cancelled", async () => {
		const drawn: string[] = [];
		let cancelLast = (): void => {};
		drawSoon(() => {
			drawn.push("first");
			drawSoon(() => drawn.push("added"));
			cancelLast();
		});
		drawSoon(() => drawn.push("second"));
		cancelLast = drawSoon(() => drawn.push("cancelled"));
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(drawn).toEqual(["first", "second", "added"]);
	});
});
