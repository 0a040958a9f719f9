import Toast from "./toast.svelte";
import Toaster from "./toaster.svelte";

export { toastLevel, toastVariants } from "./toast.svelte";
export type { ToastData, ToastLevel } from "./types.js";
export { Toast, Toaster };
