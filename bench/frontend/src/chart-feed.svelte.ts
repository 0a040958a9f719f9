// Points for the chart-engine comparison, kept in the form each engine reads:
// column arrays grown in place for uPlot, an array of row objects for LayerChart.
import { accAt, lossAt } from "./curves.js";

export type Engine = "uplot" | "layerchart-svg" | "layerchart-canvas";

type Row = { step: number; loss: number; acc: number };

export class ChartFeed {
	readonly engine: Engine;
	readonly x: number[] = [];
	readonly loss: number[] = [];
	readonly acc: number[] = [];
	#rows: Row[] = [];
	#dirty = false;
	revision = $state(0);
	rows = $state.raw<readonly Row[]>([]);

	constructor(engine: Engine) {
		this.engine = engine;
	}

	get length(): number {
		return this.engine === "uplot" ? this.x.length : this.#rows.length;
	}

	append(count: number): void {
		let step = this.length;
		for (let i = 0; i < count; i++, step++) {
			if (this.engine === "uplot") {
				this.x.push(step);
				this.loss.push(lossAt(step));
				this.acc.push(accAt(step));
			} else {
				this.#rows.push({ step, loss: lossAt(step), acc: accAt(step) });
			}
		}
		this.#dirty = true;
	}

	/** Publishes what was appended since the last commit: called once per frame. */
	commit(): void {
		if (!this.#dirty) return;
		this.#dirty = false;
		if (this.engine === "uplot") this.revision++;
		else this.rows = this.#rows.slice();
	}
}
