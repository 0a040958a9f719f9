// People on a channel: its chat and who watches it. Drawn from a `ChatSession` (the
// page's side: who it writes as) over a `ChannelStore` (the messages and watchers).
export { default as AuthorAvatar } from "./AuthorAvatar.svelte";
export { default as ChatButton } from "./ChatButton.svelte";
export { default as ChatPanel } from "./ChatPanel.svelte";
export { default as PresenceAvatars } from "./PresenceAvatars.svelte";
export { initials, linkify, type TextPart } from "./linkify.js";
