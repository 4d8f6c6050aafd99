// Long enough that the yields cost little (one `setImmediate`, ~10 µs, per interval), short
// enough that a 10 ms timer or a signal handler waits at most about this much longer.
const maxBusyMs = 2;

/**
 * Lets the event loop run timers, I/O and signal handlers now and then. better-sqlite3 never waits
 * for I/O, so appends call {@link EventLoopYielder.pause} after each write: a loop of
 * `await append(…)` would otherwise run on microtasks alone and starve every timer, lease renewal
 * and SIGTERM handler of the process until it ends.
 */
export class EventLoopYielder {
  #since = performance.now();

  /** Resolves at once, or after one turn of the event loop once the last turn is 2 ms old. */
  async pause(): Promise<void> {
    if (performance.now() - this.#since < maxBusyMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
