import Root from "./button.svelte";

export { buttonVariants, type ButtonSize, type ButtonVariant } from "./button.svelte";
export { Root, Root as Button };
