import { type ClassValue, clsx } from "clsx";
import { twMerge } from "tailwind-merge";

/** Joins class names and lets a later Tailwind class win over a conflicting earlier one. */
export function cn(...inputs: ClassValue[]): string {
	return twMerge(clsx(inputs));
}

// Prop type helpers in the shape shadcn-svelte's components expect of `$lib/utils`.

/** Props `T` plus the bindable root element: `let { ref = $bindable(null), ... } = $props()`. */
export type WithElementRef<T, E extends HTMLElement = HTMLElement> = T & { ref?: E | null };

/** Props `T` without `children`, for a component that renders no snippet. */
export type WithoutChildren<T> = T extends { children?: unknown } ? Omit<T, "children"> : T;

/** Props `T` without bits-ui's `child` snippet. */
export type WithoutChild<T> = T extends { child?: unknown } ? Omit<T, "child"> : T;

/** Props `T` without either snippet. */
export type WithoutChildrenOrChild<T> = WithoutChildren<WithoutChild<T>>;
