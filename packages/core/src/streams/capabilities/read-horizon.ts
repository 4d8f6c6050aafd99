/**
 * What holds reads of the global log back, as {@link ReadHorizonMonitor.current} reports it.
 *
 * @example
 * ```ts
 * const { waitingFor }: ReadHorizonReport = storage.readHorizon!.current();
 * ```
 */
export interface ReadHorizonReport {
  /**
   * Set while an append that took a lower position is still open (a slow transaction hook, a
   * session idle in transaction): reads stop below it rather than skip it.
   */
  readonly waitingFor: { readonly kind: 'in-flight-append'; readonly since: Date } | undefined;
}

/**
 * An optional capability of the port (`EventStorage.readHorizon`) for stores whose appends commit
 * concurrently (PostgreSQL): what holds reads of the global log back right now. Consumers show it
 * in their status.
 *
 * @example
 * ```ts
 * const waiting = storage.readHorizon?.current().waitingFor;
 * if (waiting) console.warn(`reads wait for an append open since ${waiting.since.toISOString()}`);
 * ```
 */
export interface ReadHorizonMonitor {
  current(): ReadHorizonReport;
}
