export { default as ChannelCard } from "./ChannelCard.svelte";
export { default as ConnectionAlert } from "./ConnectionAlert.svelte";
export { default as LiveChart } from "./LiveChart.svelte";
export { default as LiveLog } from "./LiveLog.svelte";
export { default as LiveProgress } from "./LiveProgress.svelte";
export { default as LiveStatus } from "./LiveStatus.svelte";
export { default as LiveTable } from "./LiveTable.svelte";
export { default as Toasts } from "./Toasts.svelte";
