import type { AppendRow, EncodedAppend } from '../streams/append.js';

/** What becomes of one append sent by an {@link AppendCoalescer}: its row, or undefined if refused. */
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
 * Group commit in the client. An append that finds fewer than `maxInFlight` statements running is
 * sent at once, alone, so a lone writer waits for nothing; appends arriving while that many run
 * queue up, and the next free slot sends the queue as one statement: one round trip and one commit
 * (one WAL flush) for all of them. Each keeps its own outcome: a refused append is answered
 * undefined and its neighbours are written. A batch that fails as a whole (a reused event id, a
 * payload jsonb refuses, a lost connection) is sent again append by append, so only the culprit's
 * caller sees its error; an append that did commit before the connection broke is then refused by
 * its own event ids, and found already stored.
 */
export class AppendCoalescer {
  readonly #sender: AppendSender;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #inFlight = 0;

  constructor(sender: AppendSender, options: { maxInFlight: number; maxBatch: number }) {
    this.#sender = sender;
    this.#maxInFlight = options.maxInFlight;
    this.#maxBatch = options.maxBatch;
  }

  append(append: EncodedAppend): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      this.#sendWhatCan();
    });
  }

  #sendWhatCan(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#takeBatch();
      this.#inFlight += 1;
      // Never rejects: every outcome, error included, goes to the appends' own promises.
      void this.#sendBatch(batch).finally(() => {
        this.#inFlight -= 1;
        this.#sendWhatCan();
      });
    }
  }

  /**
   * The oldest queued appends, at most one per stream: a batch writes set-based, so an append
   * must not depend on another of the same statement. Another append of a stream already in the
   * batch goes at once, alone, beside it, as it would uncoalesced: writers racing on one stream
   * settle in the database together (one wins, the others are refused), not one round trip after
   * the other.
   */
  #takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const taken = new Set<string>();
    let rest = 0;
    for (const pending of this.#queue) {
      const { streamId } = pending.append.request;
      if (batch.length >= this.#maxBatch) {
        this.#queue[rest++] = pending;
      } else if (taken.has(streamId)) {
        void this.#sendOne(pending);
      } else {
        batch.push(pending);
        taken.add(streamId);
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
    for (const [index, pending] of batch.entries()) pending.resolve(outcomes[index]);
  }

  async #sendOne(pending: Pending): Promise<void> {
    try {
      pending.resolve(await this.#sender.single(pending.append));
    } catch (error) {
      pending.reject(error);
    }
  }
}
