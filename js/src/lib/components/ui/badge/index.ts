import Root from "./badge.svelte";

export { badgeVariants, type BadgeVariant } from "./badge.svelte";
export { Root, Root as Badge };
