import type { AppendRequest } from '@hindsight/core';
import type { AppendRow, EncodedAppend } from '../streams/append.js';

/** What becomes of one append the database was sent: its row, or undefined if refused. */
export type AppendOutcome = AppendRow | undefined;

/** How the coalescer reaches the database. */
export interface AppendSender {
  /** One append in its own statement; undefined when the stream or an event id refused it. */
  single(append: EncodedAppend): Promise<AppendOutcome>;
  /**
   * Several appends in one statement and one commit, an outcome per append in order. Throws when
   * the statement failed as a whole (nothing of it was written).
   */
  batch(appends: readonly EncodedAppend[]): Promise<readonly AppendOutcome[]>;
}

interface Pending {
  readonly append: EncodedAppend;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit in the client. Appends queue, and the queue is sent on the next turn of the event
 * loop while fewer than `maxInFlight` statements run, as one statement: one round trip and one
 * commit (one WAL flush) for all of them. Waiting for the turn, not sending the first append at
 * once, is what fills the batches: writers woken by one statement's results append again within
 * the same turn, and go out together rather than the first alone and the rest behind it (16
 * writers: 0.64× raw pg's per-statement inserts when sent at once, about 1× with the turn; a lone
 * writer loses only the turn). Appends arriving while that many statements run wait for a free
 * slot. Each keeps its own outcome: a refused append is answered
 * undefined and its neighbours are written. A batch that fails as a whole (a reused event id, a
 * payload jsonb refuses, a lost connection) is sent again append by append, so only the culprit's
 * caller sees its error; an append that did commit before the connection broke is then refused by
 * its own event ids, and found already stored.
 *
 * One append per stream is in flight at a time; the stream's next appends wait for its outcome.
 * When it committed, a waiting append that expected an earlier version (or no stream) would only
 * be refused, so it is answered refused without being sent: the caller then reads why, as after
 * any refusal (the stream's version, or its events stored already by an earlier try of the same
 * append). Writers racing on a hot stream in one process then cost the database no append
 * statement per lost race, nor a wait on the stream's row lock. Every other waiting append (the
 * next version, `any`, `stream_exists`) is sent, and the database decides.
 */
export class AppendCoalescer {
  readonly #sender: AppendSender;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #inFlight = 0;
  #sendScheduled = false;
  // Streams with an append sent and not yet answered.
  readonly #streamsInFlight = new Set<string>();

  constructor(sender: AppendSender, options: { maxInFlight: number; maxBatch: number }) {
    this.#sender = sender;
    this.#maxInFlight = options.maxInFlight;
    this.#maxBatch = options.maxBatch;
  }

  append(append: EncodedAppend): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      this.#scheduleSend();
    });
  }

  #scheduleSend(): void {
    if (this.#sendScheduled) return;
    this.#sendScheduled = true;
    setImmediate(() => {
      this.#sendScheduled = false;
      this.#sendWhatCan();
    });
  }

  #sendWhatCan(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const batch = this.#takeBatch();
      // Empty when every queued append waits for its stream's append in flight.
      if (batch.length === 0) return;
      this.#inFlight += 1;
      // Never rejects: every outcome, error included, goes to the appends' own promises.
      void this.#sendBatch(batch).finally(() => {
        this.#inFlight -= 1;
        this.#scheduleSend();
      });
    }
  }

  /**
   * The oldest queued appends of streams with no append in flight, one per stream: a batch writes
   * set-based, so an append must not depend on another of the same statement.
   */
  #takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let rest = 0;
    for (const pending of this.#queue) {
      const { streamId } = pending.append.request;
      if (batch.length >= this.#maxBatch || this.#streamsInFlight.has(streamId)) {
        this.#queue[rest++] = pending;
      } else {
        batch.push(pending);
        this.#streamsInFlight.add(streamId);
      }
    }
    this.#queue.length = rest;
    return batch;
  }

  async #sendBatch(batch: readonly Pending[]): Promise<void> {
    if (batch.length === 1) {
      await this.#sendOne(batch[0] as Pending);
      return;
    }
    let outcomes: readonly AppendOutcome[];
    try {
      outcomes = await this.#sender.batch(batch.map((pending) => pending.append));
    } catch {
      await Promise.all(batch.map((pending) => this.#sendOne(pending)));
      return;
    }
    for (const [index, pending] of batch.entries()) this.#settle(pending, outcomes[index]);
  }

  async #sendOne(pending: Pending): Promise<void> {
    let outcome: AppendOutcome;
    try {
      outcome = await this.#sender.single(pending.append);
    } catch (error) {
      this.#streamsInFlight.delete(pending.append.request.streamId);
      pending.reject(error);
      return;
    }
    this.#settle(pending, outcome);
  }

  #settle(pending: Pending, outcome: AppendOutcome): void {
    const { request } = pending.append;
    this.#streamsInFlight.delete(request.streamId);
    if (outcome !== undefined) this.#refuseOutdated(request, Number(outcome.version));
    pending.resolve(outcome);
  }

  /** Answers the queued appends that `committed`, now at `version`, has made impossible. */
  #refuseOutdated(committed: AppendRequest, version: number): void {
    let rest = 0;
    for (const pending of this.#queue) {
      if (isOutdated(pending.append.request, committed, version)) {
        pending.resolve(undefined);
      } else {
        this.#queue[rest++] = pending;
      }
    }
    this.#queue.length = rest;
  }
}

/** Whether the database can only refuse `request`, its stream `committed` being at `version` now. */
function isOutdated(request: AppendRequest, committed: AppendRequest, version: number): boolean {
  if (request.streamId !== committed.streamId) return false;
  const { expectedVersion } = request;
  return (
    expectedVersion === 'no_stream' || (typeof expectedVersion === 'number' && expectedVersion < version)
  );
}
