/**
 * Where signals come from: Node's `process` by default; anything with `on` / `off` in tests.
 *
 * @example
 * ```ts
 * const signals: SignalSource = new EventEmitter();
 * ```
 */
export interface SignalSource {
  on(signal: string, listener: (signal: string) => void): unknown;
  off(signal: string, listener: (signal: string) => void): unknown;
}

/**
 * How a shutdown went: the signal that started it and whatever failed on the way (a consumer's
 * `stop()` or the store's `close()`); the shutdown goes on past a failure.
 *
 * @example
 * ```ts
 * onShutdown: ({ signal, errors }) => { if (errors.length > 0) report(errors); server.close(); }
 * ```
 */
export interface ShutdownOutcome {
  readonly signal: string;
  readonly errors: readonly unknown[];
}

/**
 * Options of {@link shutdownOnSignals}.
 *
 * @example
 * ```ts
 * shutdownOnSignals({ consumers: [projections, notifications], store, onShutdown: () => server.close() });
 * ```
 */
export interface ShutdownOnSignalsOptions {
  /** Stopped first, together: each finishes its current page and releases its lease. */
  readonly consumers: readonly { stop(): Promise<void> }[];
  /** Closed once every consumer has stopped. */
  readonly store?: { close(): Promise<void> };
  /** Default `['SIGINT', 'SIGTERM']` (Ctrl-C, and what process managers and containers send). */
  readonly signals?: readonly string[];
  /**
   * Runs after the consumers stopped and the store closed: close your server, set
   * `process.exitCode`, or call `process.exit()`. Without it, the process ends by itself once
   * nothing else keeps it alive.
   */
  readonly onShutdown?: (outcome: ShutdownOutcome) => void | Promise<void>;
  /** Default `globalThis.process`. */
  readonly source?: SignalSource;
}

/**
 * Stops consumers and closes the store when the process is asked to end (Ctrl-C, `kill`, a
 * container stop, a `tsx watch` reload), once. Stopping releases each consumer's lease, so
 * another process, or this app restarted, takes over at once instead of waiting for the lease
 * to lapse. The handlers are removed as the shutdown starts, so a second Ctrl-C ends the
 * process the default way if a shutdown hangs. Returns a disposer that removes the handlers.
 *
 * @example
 * ```ts
 * const store = createEventStore({ storage: createSqliteStorage({ path: 'app.db' }), events: [Order] });
 * const view = createProjectionRunner(store, OrdersView);
 * await view.start();
 * const dispose = shutdownOnSignals({ consumers: [view], store, onShutdown: () => server.close() });
 * ```
 */
export function shutdownOnSignals(options: ShutdownOnSignalsOptions): () => void {
  const source = options.source ?? (globalThis as { process?: SignalSource }).process;
  if (source === undefined) return () => {};
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    for (const signal of signals) source.off(signal, onSignal);
  };
  function onSignal(signal: string): void {
    dispose();
    void shutdown(signal);
  }
  async function shutdown(signal: string): Promise<void> {
    const errors: unknown[] = [];
    const settled = await Promise.allSettled(options.consumers.map((consumer) => consumer.stop()));
    for (const result of settled) if (result.status === 'rejected') errors.push(result.reason);
    try {
      await options.store?.close();
    } catch (error) {
      errors.push(error);
    }
    await options.onShutdown?.({ signal, errors });
  }
  for (const signal of signals) source.on(signal, onSignal);
  return dispose;
}
