/** Samples the process's resident set size while some work runs, keeping the peak. */
export class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 20) {
    this.#peak = process.memoryUsage.rss();
    this.#timer = setInterval(() => {
      this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
    }, intervalMs);
  }

  /** Stops sampling; returns the peak RSS in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
    return this.#peak;
  }
}

/** Runs a full collection when node was started with --expose-gc, so trials start alike. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
}
