import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

const options = { baseMs: 1000, capMs: 30_000 };

describe("backoffDelay", () => {
	it("stays within [d/2, d] where d doubles from the base", () => {
		for (let attempt = 0; attempt < 5; attempt++) {
			const ceiling = 1000 * 2 ** attempt;
			expect(backoffDelay(attempt, options, () => 0)).toBe(ceiling / 2);
			expect(backoffDelay(attempt, options, () => 0.999_999)).toBeCloseTo(ceiling, 0);
			const delay = backoffDelay(attempt, options);
			expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
			expect(delay).toBeLessThanOrEqual(ceiling);
		}
	});

	it("never exceeds the cap, however many attempts failed", () => {
		for (const attempt of [5, 6, 20, 1_000, Number.POSITIVE_INFINITY]) {
			const delay = backoffDelay(attempt, options, () => 0.999_999);
			expect(Number.isFinite(delay)).toBe(true);
			expect(delay).toBeLessThanOrEqual(30_000);
			expect(delay).toBeGreaterThanOrEqual(15_000);
		}
	});

	it("spreads clients that failed together (jitter)", () => {
		const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffDelay(3, options, () => r)));
		expect(delays.size).toBe(5);
	});

	it("treats a negative attempt as the first", () => {
		expect(backoffDelay(-3, options, () => 0)).toBe(500);
	});
});
