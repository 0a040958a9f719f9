import { beforeEach, describe, expect, it } from "vitest";
import {
	CHART_SETTINGS_KEY,
	KEPT_CHART_SETTINGS,
	loadChartSettings,
	saveChartSettings,
} from "./chart-settings.js";

describe("chart settings", () => {
	beforeEach(() => localStorage.clear());

	it("remembers what was set on a chart", () => {
		expect(loadChartSettings("train/a")).toBeNull();
		saveChartSettings("train/a", { smoothing: 0.6, scale: "log", xMode: "time" });
		expect(loadChartSettings("train/a")).toEqual({ smoothing: 0.6, scale: "log", xMode: "time" });
	});

	it("keeps the most recent charts only", () => {
		for (let i = 0; i <= KEPT_CHART_SETTINGS; i++) {
			saveChartSettings(`c/${i}`, { smoothing: 0, scale: "linear" });
		}
		expect(loadChartSettings("c/0")).toBeNull();
		expect(loadChartSettings(`c/${KEPT_CHART_SETTINGS}`)).not.toBeNull();
		expect(Object.keys(JSON.parse(localStorage.getItem(CHART_SETTINGS_KEY)!))).toHaveLength(
			KEPT_CHART_SETTINGS,
		);
	});

	it("reads malformed storage as nothing", () => {
		localStorage.setItem(CHART_SETTINGS_KEY, "{not json");
		expect(loadChartSettings("a")).toBeNull();
		localStorage.setItem(
			CHART_SETTINGS_KEY,
			JSON.stringify({ a: { smoothing: "x", scale: "log" } }),
		);
		expect(loadChartSettings("a")).toBeNull();
		localStorage.setItem(CHART_SETTINGS_KEY, JSON.stringify({ a: { smoothing: 7, scale: "log" } }));
		expect(loadChartSettings("a")).toEqual({ smoothing: 0.99, scale: "log" });
	});
});
