/**
 * The types of `lib/views.js`, which Vite builds from `js/src/lab.ts` (Svelte, Tailwind)
 * next to this package's compiled modules. Restated here because that build emits no
 * declarations; `js/src/lab.ts` says the same and the two change together.
 */
export type LiveState = "live" | "reconnecting" | "offline" | "refused";

export type Translate = (text: string, ...args: (string | number)[]) => string;

export interface Notice {
	channel: string;
	message: string;
	title: string | null;
	level: "debug" | "info" | "success" | "warning" | "error";
}

/** Per real channel, its state in snapshot form (what `persistState` saves). */
export type SavedState = Record<string, { ts: number; snapshot: Record<string, unknown> }>;

export interface LabSession {
	readonly baseUrl: string;
	readonly state: LiveState;
	notifyAll: boolean;
	refreshChannels(): void;
}

export interface LabSessionOptions {
	baseUrl: string;
	getJson: (path: string) => Promise<unknown>;
	notify: (notice: Notice) => void;
}

export interface OutputOptions {
	channels: readonly string[];
	saved: SavedState | null;
	save: (state: SavedState) => void;
}

export function createSession(options: LabSessionOptions): LabSession;

export function mountOutput(
	session: LabSession,
	host: HTMLElement,
	options: OutputOptions,
): () => void;

export function mountStatus(
	session: LabSession,
	host: HTMLElement,
	props: { __: Translate; onOpen: () => void },
): () => void;

export function mountPanel(
	session: LabSession,
	host: HTMLElement,
	props: {
		__: Translate;
		onOpen: (channel: string) => void;
		onShare: (channel: string) => void;
		onDashboard: () => void;
	},
): () => void;
