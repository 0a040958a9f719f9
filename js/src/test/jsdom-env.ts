// Browser APIs jsdom lacks, for the component tests. Import it first in a test file:
// uPlot calls `matchMedia` while its module loads, to follow devicePixelRatio.
if (typeof window.matchMedia !== "function") {
	window.matchMedia = (query: string): MediaQueryList => ({
		matches: false,
		media: query,
		onchange: null,
		addListener: () => undefined,
		removeListener: () => undefined,
		addEventListener: () => undefined,
		removeEventListener: () => undefined,
		dispatchEvent: () => false,
	});
}
