import { lockStreamParams, tryLockStreamStatement, unlockStreamStatement } from '../streams/lock-stream.js';
import type { DedicatedSession } from './driver.js';

interface LockRow {
  readonly locked: string;
}

// Retry delays of a lock held by another process: full jitter, doubling up to this ceiling.
const maxPollMs = 50;

/**
 * Stream locks across processes, held on one connection of their own rather than on pooled ones:
 * a holder then needs no second pooled connection for its append, so no pool size can deadlock
 * (the lock waiters of a transaction-scoped lock would each hold a pooled connection). The
 * connection's session locks are re-entrant, so writers of this process queue in memory first and
 * only the head of each queue asks PostgreSQL, without waiting there: a blocked call would stall
 * every other stream's lock on the shared connection. Losing the connection frees its locks; the
 * appends stay safe (they still check the expected version), only the queueing is lost until the
 * next lock reconnects.
 */
export class SessionStreamLocks {
  readonly #schema: string;
  readonly #connect: () => Promise<DedicatedSession>;
  readonly #queues = new Map<string, Promise<void>>();
  #session: Promise<DedicatedSession> | undefined;
  #closed = false;

  constructor(schema: string, connect: () => Promise<DedicatedSession>) {
    this.#schema = schema;
    this.#connect = connect;
  }

  async acquire(streamId: string): Promise<() => Promise<void>> {
    const leaveQueue = await this.#enqueue(streamId);
    const params = lockStreamParams(this.#schema, streamId);
    let session: DedicatedSession;
    try {
      for (let attempt = 0; ; attempt += 1) {
        session = await this.#open();
        const [row] = await session.run<LockRow>(tryLockStreamStatement, params);
        if (row?.locked === 'true') break;
        const ceiling = Math.min(maxPollMs, 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    } catch (error) {
      leaveQueue();
      throw error;
    }
    const holder = session;
    return async () => {
      try {
        // A lost connection already released the lock on the server.
        if (!holder.lost) await holder.run(unlockStreamStatement, params);
      } catch {
        // The lock went with the connection: nothing is left to release.
      } finally {
        leaveQueue();
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) await session.then((open) => open.close()).catch(() => undefined);
  }

  #open(): Promise<DedicatedSession> {
    if (this.#closed) throw new Error('the stream locks are closed');
    const current = this.#session;
    if (current !== undefined) {
      return current.then((session) => {
        if (!session.lost) return session;
        if (this.#session === current) this.#session = undefined;
        return this.#open();
      });
    }
    const opening = this.#connect();
    this.#session = opening;
    opening.catch(() => {
      if (this.#session === opening) this.#session = undefined;
    });
    return opening;
  }

  /** Waits for this process's earlier writers of the stream; returns how to let the next one in. */
  async #enqueue(streamId: string): Promise<() => void> {
    const previous = this.#queues.get(streamId) ?? Promise.resolve();
    let leave!: () => void;
    const turn = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const tail = previous.then(() => turn);
    this.#queues.set(streamId, tail);
    await previous;
    return () => {
      leave();
      if (this.#queues.get(streamId) === tail) this.#queues.delete(streamId);
    };
  }
}
