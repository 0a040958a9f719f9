/**
 * The server's own channels as the browser reads them: names and data shapes mirrored
 * from `jupyter_sse/wire/server_channels.py` (and the README's "Server channels"). The
 * checks keep a view from drawing anything else.
 */

export const SYSTEM_CHANNEL = "jupyter/system";
export const ACTIVITY_CHANNEL = "jupyter/activity";
/** Custom types of `jupyter/system`: the kernel table, and what does not change. */
export const SYSTEM_KERNELS = "system.kernels";
export const SYSTEM_INFO = "system.info";

/** `values` names of a `jupyter/system` metric (GPU names follow per device). */
export type SystemValueName =
	| "cpu_percent"
	| "memory_used"
	| "memory_available"
	| "memory_percent"
	| "process_cpu_percent"
	| "process_rss"
	| "load_1"
	| "load_5"
	| "load_15"
	| "disk_used"
	| "disk_free"
	| "disk_percent";

/** One kernel of `system.kernels`: `cpu_percent` is of one core; null when not measured. */
export interface KernelRow {
	id: string;
	name: string | null;
	path: string | null;
	execution_state: string | null;
	cpu_percent: number | null;
	rss: number | null;
}

export interface GpuDevice {
	index: number;
	name: string;
	memory_total: number;
}

export type GpuInfo =
	{ available: false; reason: string } | { available: true; devices: GpuDevice[] };

export interface SystemInfo {
	cpu_count: number | null;
	memory_total: number;
	disk_total: number;
	gpu: GpuInfo;
}

export type KernelState = "starting" | "idle" | "busy" | "dead" | "restarting";

/** A `status` of `jupyter/activity`: one key per kernel (its id). */
export interface KernelStatusData {
	key: string;
	value: KernelState;
	variant: string;
	path: string | null;
	kernel_name: string | null;
}

/** A `notify` of `jupyter/activity`: a long cell finished or failed. */
export interface CellNoticeData {
	title: string;
	message: string;
	level: "success" | "error";
	path: string | null;
	cell: number | null;
	duration: number;
	kernel_id: string;
	error?: { ename: string; evalue: string };
}

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null;
const isNumberOrNull = (v: unknown): boolean => v === null || typeof v === "number";
const isTextOrNull = (v: unknown): boolean => v === null || typeof v === "string";

function isKernelRow(value: unknown): value is KernelRow {
	return (
		isObject(value) &&
		typeof value.id === "string" &&
		isTextOrNull(value.name) &&
		isTextOrNull(value.path) &&
		isTextOrNull(value.execution_state) &&
		isNumberOrNull(value.cpu_percent) &&
		isNumberOrNull(value.rss)
	);
}

/** The kernels of a `system.kernels` event; [] for anything else. */
export function kernelRows(data: unknown): KernelRow[] {
	if (!isObject(data) || !Array.isArray(data.kernels)) return [];
	return data.kernels.filter(isKernelRow);
}

/** A `system.info` event's data, or null when it is not that shape. */
export function systemInfo(data: unknown): SystemInfo | null {
	if (!isObject(data) || !isObject(data.gpu)) return null;
	const gpu = data.gpu;
	const gpuOk =
		(gpu.available === false && typeof gpu.reason === "string") ||
		(gpu.available === true && Array.isArray(gpu.devices));
	if (
		!gpuOk ||
		!isNumberOrNull(data.cpu_count) ||
		typeof data.memory_total !== "number" ||
		typeof data.disk_total !== "number"
	)
		return null;
	return data as unknown as SystemInfo;
}

/** True for a `notify` of `jupyter/activity` about a cell. */
export function isCellNotice(data: unknown): data is CellNoticeData {
	return (
		isObject(data) &&
		typeof data.message === "string" &&
		typeof data.kernel_id === "string" &&
		typeof data.duration === "number"
	);
}
