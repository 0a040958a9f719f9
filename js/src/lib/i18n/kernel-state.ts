import { m } from "./paraglide/messages.js";

const KERNEL_STATES: Record<string, () => string> = {
	busy: m.kernel_state_busy,
	idle: m.kernel_state_idle,
	starting: m.kernel_state_starting,
	restarting: m.kernel_state_restarting,
	dead: m.kernel_state_dead,
	unknown: m.kernel_state_unknown,
};

/**
 * A kernel's execution state in the page's language. A state this list does not know
 * (a newer Jupyter may add one) shows as the server sent it rather than not at all.
 */
export function kernelStateLabel(state: string): string {
	const label = Object.hasOwn(KERNEL_STATES, state) ? KERNEL_STATES[state] : undefined;
	return label ? label() : state;
}
