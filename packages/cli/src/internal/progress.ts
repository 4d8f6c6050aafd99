import type { Printer } from './output.js';

/** Reports a count and its rate on stderr, at most once a second, and a summary at the end. */
export class Progress {
  readonly #printer: Printer;
  readonly #verb: string;
  readonly #started = performance.now();
  #lastReport = performance.now();

  constructor(printer: Printer, verb: string) {
    this.#printer = printer;
    this.#verb = verb;
  }

  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  rate(count: number): number {
    return Math.round(count / Math.max(this.seconds, 0.001));
  }

  async tick(count: number, detail = ''): Promise<void> {
    const now = performance.now();
    if (now - this.#lastReport < 1000) return;
    this.#lastReport = now;
    await this.#printer.line(`${this.#verb} ${count} events${detail}, ${this.rate(count)} events/s`);
  }

  async done(count: number, detail = ''): Promise<void> {
    await this.#printer.line(
      `${this.#verb} ${count} events${detail} in ${this.seconds.toFixed(2)} s, ${this.rate(count)} events/s`,
    );
  }
}
