const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Server time (epoch seconds) as local HH:MM:SS. By hand: `toLocaleTimeString` costs
 * more than drawing the rest of a log line.
 */
export function clock(ts: number): string {
	const d = new Date(ts * 1000);
	return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
