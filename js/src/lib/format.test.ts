import { afterEach, describe, expect, it } from "vitest";
import {
	chatTime,
	clock,
	estimateEta,
	formatBytes,
	formatCell,
	formatCount,
	formatDateTime,
	formatDuration,
	formatPercent,
	formatRate,
	formatValue,
	setFormatLocale,
	timeAgo,
} from "./format.js";

describe("formatDuration", () => {
	it.each([
		[0.4, "<1s"],
		[42, "42s"],
		[59.6, "1m 0s"],
		[185, "3m 5s"],
		[7380, "2h 3m"],
		[100800, "1d 4h"],
	])("%s s reads %s", (seconds, expected) => {
		expect(formatDuration(seconds)).toBe(expected);
	});

	it("has no text for a value that is not a duration", () => {
		expect(formatDuration(-1)).toBeNull();
		expect(formatDuration(Number.NaN)).toBeNull();
		expect(formatDuration(null)).toBeNull();
	});
});

describe("formatRate", () => {
	it("reads like tqdm", () => {
		expect(formatRate(12.34)).toBe("12.3 it/s");
		expect(formatRate(1530, "img")).toBe("1.5K img/s");
		expect(formatRate(0.4)).toBe("2.50 s/it");
		expect(formatRate(0)).toBeNull();
	});

	it("derives the ETA from the rate when the event has none", () => {
		expect(estimateEta(40, 100, 12, null)).toBe(5);
		expect(estimateEta(40, 100, 12, 9)).toBe(9);
		expect(estimateEta(40, null, 12, null)).toBeNull();
	});
});

describe("formatValue", () => {
	it("keeps four significant digits and switches notation at the extremes", () => {
		expect(formatValue(0.314159)).toBe("0.3142");
		expect(formatValue(1234.5)).toBe("1,235");
		expect(formatValue(250000)).toBe("250K");
		expect(formatValue(0.00001234)).toBe("1.23e-5");
		expect(formatValue(null)).toBe("–");
	});
});

describe("counts", () => {
	it("groups thousands and says the noun in the right number", () => {
		expect(formatCount(1234)).toBe("1,234");
		expect(formatCount(1234.5)).toBe("1,234.5");
		expect(formatCount(Number.NaN)).toBe("–");
	});
});

describe("formatCell", () => {
	it("reads numbers rounded, text as it is and objects as JSON", () => {
		expect(formatCell(0.123456)).toBe("0.1235");
		expect(formatCell(12345)).toBe("12,345");
		expect(formatCell(Number.POSITIVE_INFINITY)).toBe("Infinity");
		expect(formatCell("lr")).toBe("lr");
		expect(formatCell(false)).toBe("false");
		expect(formatCell({ a: [1, 2] })).toBe('{"a":[1,2]}');
		expect(formatCell(null)).toBe("–");
	});
});

describe("times", () => {
	it("reads a server time as a local clock", () => {
		const ts = new Date(2025, 0, 1, 9, 5, 7).getTime() / 1000;
		expect(clock(ts)).toBe("09:05:07");
	});

	it("says how long ago, in the largest whole unit", () => {
		const now = 1_764_000_000_000;
		const ago = (seconds: number) => timeAgo(now / 1000 - seconds, now);
		expect(ago(2)).toBe("now");
		expect(ago(12)).toBe("12s ago");
		expect(ago(5 * 60 + 30)).toBe("5m ago");
		expect(ago(3 * 3600)).toBe("3h ago");
		expect(ago(2 * 86400)).toBe("2d ago");
		expect(ago(-30)).toBe("now");
	});
});

describe("in Thai", () => {
	afterEach(() => setFormatLocale(() => "en-US"));

	it("writes dates in the Buddhist era with Thai months, and Thai units", () => {
		setFormatLocale(() => "th");
		const ts = new Date(2025, 0, 1, 9, 5, 7).getTime() / 1000;
		expect(formatDateTime(ts)).toBe("1 ม.ค. 2568 09:05:07");
		expect(clock(ts)).toBe("09:05:07");
		expect(formatDuration(185)).toBe("3นาที 5วิ");
		expect(timeAgo(1_764_000_000 - 300, 1_764_000_000_000)).toBe("5 นาทีที่แล้ว");
		expect(formatCount(1234.5)).toBe("1,234.5");
	});

	it("builds formatters per locale: switching back gives English again", () => {
		setFormatLocale(() => "th");
		expect(formatDuration(42)).toBe("42วิ");
		setFormatLocale(() => "en-US");
		expect(formatDuration(42)).toBe("42s");
	});
});

describe("chat and system formats", () => {
	it("shows a message's time, with its day when not today", () => {
		const now = new Date(2026, 11, 5, 12, 0).getTime();
		expect(chatTime(new Date(2026, 11, 5, 9, 41).getTime() / 1000, now)).toBe("09:41 AM");
		expect(chatTime(new Date(2026, 11, 4, 9, 41).getTime() / 1000, now)).toBe("Dec 4, 09:41 AM");
	});

	it("reads bytes and percentages", () => {
		expect(formatBytes(1536)).toBe("1.5 KiB");
		expect(formatBytes(3 * 1024 ** 3)).toBe("3 GiB");
		expect(formatBytes(null)).toBe("–");
		expect(formatPercent(12.345)).toBe("12.3%");
		expect(formatPercent(null)).toBe("–");
	});
});
