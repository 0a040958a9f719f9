import Root from "./progress.svelte";

export { estimateEta, formatCount, formatDuration, formatRate } from "./format.js";
export { Root, Root as Progress };
