// Long enough that the yields cost little (one `setImmediate`, ~10 µs, per interval), short
// enough that a 10 ms timer or a signal handler waits at most about this much longer.
const maxBusyMs = 2;

/**
 * Lets the event loop run timers, I/O and signal handlers now and then. Storages whose appends
 * never wait for I/O (memory, SQLite's synchronous driver) call {@link EventLoopYielder.pause}
 * after each append: a loop of `await append(…)` would otherwise run on microtasks alone and
 * starve every timer, lease renewal and SIGTERM handler of the process until it ends.
 *
 * @example
 * ```ts
 * const yielder = new EventLoopYielder();
 * async function append(request: AppendRequest): Promise<AppendResult> {
 *   const result = writeSynchronously(request);
 *   await yielder.pause();
 *   return result;
 * }
 * ```
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
