import type { GlobalPageQuery, ReadHorizonMonitor, StoredEvent } from '@hindsight/core';
import type { HeadPositionRow } from '../streams/head-position.js';
import type { ReadHorizonRow, ReadHorizonStatements } from '../streams/read-horizon.js';
import type { Session } from './driver.js';
import type { Statement } from './statement.js';

/**
 * What holds reads of the global log back: an append that took a position above the safe horizon
 * and is still open (a slow transaction hook, a session idle in transaction) after a read waited
 * for it as long as it may.
 *
 * @example
 * ```ts
 * const { waitingFor } = storage.readHorizon.current();
 * if (waitingFor) console.warn(`reads wait for an in-flight append since ${waitingFor.since.toISOString()}`);
 * ```
 */
export interface InFlightAppendWait {
  readonly kind: 'in-flight-append';
  /** When a read first found it still open. */
  readonly since: Date;
}

/**
 * How far reads of the global log can go.
 *
 * @example
 * ```ts
 * const { safe, waitingFor } = storage.readHorizon.current();
 * console.log(`reads see up to ${safe}${waitingFor ? ', waiting for an in-flight append' : ''}`);
 * ```
 */
export interface ReadHorizonState {
  /**
   * Every position up to this one is settled (committed or rolled back), as last proven by this
   * storage instance: reads never return an event above it, and no event at or below it can appear
   * later.
   */
  readonly safe: number;
  /** Set while reads stop at {@link ReadHorizonState.safe} because an append above it is still open. */
  readonly waitingFor: InFlightAppendWait | undefined;
}

/**
 * The PostgreSQL storage's read horizon (the port's `readHorizon` capability): how far reads of
 * the global log go, as this storage instance last proved it.
 *
 * @example
 * ```ts
 * const { safe, waitingFor } = storage.readHorizon.current();
 * ```
 */
export interface PostgresReadHorizon extends ReadHorizonMonitor {
  current(): ReadHorizonState;
}

/** Settings of a {@link ReadHorizon}. */
export interface ReadHorizonOptions {
  readonly session: Session;
  readonly statements: ReadHorizonStatements;
  readonly head: Statement;
  readonly lockKey: readonly [number, number];
  /** The longest a read waits for in-flight appends before it returns what is safe. */
  readonly waitMs: number;
  /**
   * After a wait ran out, reads only try the lock without waiting for this long: a waiting reader
   * holds new appends back (their shared lock queues behind its exclusive one).
   */
  readonly backoffMs: number;
}

// SQLSTATE 55P03 (lock_not_available): the lock wait ran into lock_timeout.
const lockNotAvailable = '55P03';

/**
 * The safe read horizon of one storage instance: the highest position h proven settled, that is,
 * every position up to h committed or rolled back. Proof: read h, the sequence's last value, then
 * take the position lock exclusively; appends hold it shared from before they take a position to
 * their commit, so the lock is granted once every append that may hold a position at or below h
 * has ended, and a statement started afterwards sees all the committed ones. The horizon only
 * grows; pages below it are read without the lock (catching up over a large log costs no lock).
 */
export class ReadHorizon {
  readonly #options: ReadHorizonOptions;
  #safe = 0;
  // The last committed position at or below `for`, a horizon once safe: it never changes after.
  #head = { for: -1, head: 0 };
  #waiting: InFlightAppendWait | undefined;
  #attemptOnlyUntil = 0;

  constructor(options: ReadHorizonOptions) {
    this.#options = options;
  }

  get state(): ReadHorizonState {
    return { safe: this.#safe, waitingFor: this.#waiting };
  }

  /**
   * Tries to move the horizon above `after` (a position the caller has read up to): reads h and,
   * when it is above both `after` and the safe horizon, waits (bounded) for the appends below it.
   * Returns the safe horizon, which may still be at or below `after`.
   */
  async advance(after: number): Promise<number> {
    const { session, statements, lockKey, waitMs } = this.#options;
    const from = Math.max(after, this.#safe);
    const attemptOnly = this.#waiting !== undefined && Date.now() < this.#attemptOnlyUntil;
    let row: ReadHorizonRow | undefined;
    try {
      [row] = attemptOnly
        ? await session.run<ReadHorizonRow>(statements.attempt, [from, ...lockKey])
        : await session.run<ReadHorizonRow>(statements.wait, [from, ...lockKey, waitMs]);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== lockNotAvailable) throw error;
      this.#stalled();
      return this.#safe;
    }
    if (row?.settled === 't') this.#settle(Number(row.last));
    else if (row?.settled === 'f') this.#stalled();
    return this.#safe;
  }

  /** The last committed position at or below a freshly advanced safe horizon. */
  async head(): Promise<number> {
    const safe = await this.advance(this.#safe);
    if (this.#head.for === safe) return this.#head.head;
    const [row] = await this.#options.session.run<HeadPositionRow>(this.#options.head, [safe]);
    const head = Number(row?.last ?? 0);
    if (safe > this.#head.for) this.#head = { for: safe, head };
    return head;
  }

  #settle(horizon: number): void {
    if (horizon > this.#safe) this.#safe = horizon;
    this.#waiting = undefined;
    this.#attemptOnlyUntil = 0;
  }

  #stalled(): void {
    if (this.#waiting === undefined) {
      this.#waiting = { kind: 'in-flight-append', since: new Date() };
      this.#attemptOnlyUntil = Date.now() + this.#options.backoffMs;
    } else if (Date.now() >= this.#attemptOnlyUntil) {
      this.#attemptOnlyUntil = Date.now() + this.#options.backoffMs;
    }
  }
}

/**
 * A page of the global log that never goes above the safe horizon: below it the page is read
 * directly; above, the horizon is advanced first (one more round trip) and the page read in a new
 * statement. A page may come back short of `limit` while an append below the head is in flight.
 */
export async function readBelowHorizon(
  horizon: ReadHorizon,
  query: GlobalPageQuery,
  readPage: (query: GlobalPageQuery) => Promise<readonly StoredEvent[]>,
): Promise<readonly StoredEvent[]> {
  const upTo = query.upTo ?? Number.MAX_SAFE_INTEGER;
  const known = horizon.state.safe;
  if (upTo <= known) return readPage(query);
  let after = query.after;
  let below: readonly StoredEvent[] = [];
  if (after < known) {
    below = await readPage({ ...query, upTo: known });
    if (below.length >= query.limit) return below;
    after = known;
  }
  const safe = await horizon.advance(after);
  if (safe <= after) return below;
  const above = await readPage({
    ...query,
    after,
    upTo: Math.min(upTo, safe),
    limit: query.limit - below.length,
  });
  return below.length === 0 ? above : [...below, ...above];
}
