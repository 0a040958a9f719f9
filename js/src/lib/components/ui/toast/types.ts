export type ToastLevel = "default" | "info" | "success" | "warning" | "error";

export interface ToastData {
	id: string | number;
	message: string;
	title?: string | null;
	level?: ToastLevel | string | null;
}
