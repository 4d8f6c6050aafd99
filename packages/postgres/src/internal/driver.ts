import { InvalidArgumentError } from '@hindsight/core';
import type { PostgresTransaction } from '../postgres-transaction.js';
import type { Statement } from './statement.js';

/**
 * A connection-like thing statements run on. Every column comes back as its PostgreSQL text form
 * (or null): parsing is done by the storage, identically for every driver, and never through a
 * driver's process-wide type parsers.
 */
export interface Session {
  run<Row>(statement: Statement, params: readonly unknown[]): Promise<Row[]>;
  /** Runs SQL without parameters; it may hold several statements (migrations). */
  exec(text: string): Promise<void>;
}

/** A connection of the storage's own, outside the pool, for session-scoped state (stream locks). */
export interface DedicatedSession extends Session {
  /** True once the connection broke or ended; it is then never used again. */
  readonly lost: boolean;
  close(): Promise<void>;
}

/** The few things the storage needs from a driver, so `pg` and PGlite differ in one place. */
export interface Driver extends Session {
  /**
   * True when statements and transactions never overlap (PGlite: one connection, a transaction
   * holds it to the end): every position a read can meet is then settled, no read horizon needed.
   */
  readonly serialized: boolean;
  /** Runs `work` between BEGIN and COMMIT on one connection; rolls back if it throws. */
  transaction<T>(
    work: (session: Session, transaction: PostgresTransaction<unknown>) => Promise<T>,
  ): Promise<T>;
  /**
   * Listens on `channel` until the returned function is called. `onLost` is called once if the
   * connection breaks; the listen is then over and must be started again.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onLost: (error: unknown) => void,
  ): Promise<() => Promise<void>>;
  /**
   * Opens a connection that no pool hands out, so what it holds never waits for a pooled
   * connection. Absent on PGlite (one connection).
   */
  dedicated?(): Promise<DedicatedSession>;
}

// The session behind each transaction handle a driver gave out, so storage methods that accept a
// handle (checkpoints, documents) run their own statements in it, parsed like everywhere else.
const sessions = new WeakMap<object, Session>();

/** Registers `transaction` as a handle on `session`. */
export function bindTransaction<Tx extends PostgresTransaction<unknown>>(
  transaction: Tx,
  session: Session,
): Tx {
  sessions.set(transaction, session);
  return transaction;
}

/** The session of a handle this package gave out; anything else is refused. */
export function sessionOf(transaction: PostgresTransaction<unknown>): Session {
  const session = sessions.get(transaction);
  if (session === undefined) {
    throw new InvalidArgumentError({
      argument: 'transaction',
      value: transaction,
      problem: 'is not a transaction handle of a PostgreSQL storage',
    });
  }
  return session;
}

/** Driver settings the storage options expose. */
export interface DriverOptions {
  /** Name statements so `pg` prepares them once per connection (PGlite has no named statements). */
  readonly prepareStatements: boolean;
}
