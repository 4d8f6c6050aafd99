import { type FailedEventRef, HandlerFailedError } from '../errors/consumer-errors.js';
import { HindsightError, InvalidArgumentError, isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import {
  type Instrumentation,
  type InstrumentationAttributes,
  type InstrumentationCounter,
  noopInstrumentation,
  type TraceContext,
  traceContextOf,
} from '../instrumentation/instrumentation.js';
import { checkVersion } from '../internal/checks.js';
import { Mutex } from '../internal/mutex.js';
import { EventReader } from '../streams/event-reader.js';
import type { EventStorage } from '../streams/event-storage.js';
import {
  type ConsumerFailure,
  consumerFailures,
  consumerRestarts,
  failureRecord,
} from './consumer-failures.js';
import { ConsumerLease, type ConsumerLeaseStatus, type LeaseOptions } from './consumer-lease.js';
import { checkPartitionCount, checkPartitions, partitionOf } from './partitions.js';

/**
 * Where a consumer is in its life:
 * - `catching_up`: started and still reading history it had not seen;
 * - `running`: caught up with the head once, now following new events;
 * - `failed`: a handler kept failing on one event; the consumer waits there, never skipping it;
 * - `stopped`: not started, or stopped.
 *
 * @example
 * ```ts
 * if ((await consumer.status()).state === 'failed') await consumer.start();
 * ```
 */
export type ConsumerState = 'stopped' | 'catching_up' | 'running' | 'failed';

/**
 * What a consumer is waiting on right now: what holds it back.
 *
 * @example
 * ```ts
 * const { waitingFor } = await runner.status();
 * if (waitingFor.kind === 'retry') console.log(`retry ${waitingFor.attempt} at ${waitingFor.until.toISOString()}`);
 * ```
 */
export type ConsumerWait =
  /** Stopped or failed: nothing. */
  | { readonly kind: 'nothing' }
  /** Caught up: the next append (or the next poll). */
  | { readonly kind: 'new-events' }
  /**
   * An append holding a lower position is still open since `since` (a slow transaction hook, a
   * session idle in transaction): the consumer cannot pass it without risking to skip it, so it waits.
   */
  | { readonly kind: 'in-flight-append'; readonly since: Date }
  /** Reading the log or storing its own state. */
  | { readonly kind: 'storage' }
  /** Its handler, working on this event since `since`. */
  | { readonly kind: 'handler'; readonly event: FailedEventRef | undefined; readonly since: Date }
  /**
   * Standing by: another runner of the same consumer holds the lease (`holder`, until `until`
   * unless renewed); this one takes over when it lapses or is released.
   */
  | { readonly kind: 'lease'; readonly holder: string | undefined; readonly until: Date | undefined }
  /**
   * The storage is unreachable (a retryable `STORAGE_UNAVAILABLE`, e.g. the database restarting):
   * retrying with backoff since `since`, next at `until`, for as long as it takes.
   */
  | {
      readonly kind: 'storage-unavailable';
      readonly since: Date;
      readonly until: Date;
      readonly error: Error;
    }
  /** Backing off after a failure, until `until`, before attempt `attempt`. */
  | {
      readonly kind: 'retry';
      readonly event: FailedEventRef | undefined;
      readonly attempt: number;
      readonly until: Date;
    };

/**
 * A consumer's progress and health.
 *
 * @example
 * ```ts
 * const { state, position, head, lag } = await runner.status();
 * console.log(`${state}: ${position}/${head}, ${lag.events} behind, oldest unseen ${lag.ms} ms old`);
 * ```
 */
export interface ConsumerStatus {
  /** The consumer's name (its checkpoint id). */
  readonly name: string;
  readonly state: ConsumerState;
  /** The global position handled last (its checkpoint). */
  readonly position: number;
  /** The store's head position. */
  readonly head: number;
  readonly lag: {
    /**
     * Positions between `position` and `head`, including events the consumer's filter skips.
     * Equal to the number of events when positions have no gaps (as in memory).
     */
    readonly events: number;
    /** Age of the oldest event the consumer has still to handle (0 when caught up). */
    readonly ms: number;
  };
  /** The most recent error, kept after the consumer recovers from it; undefined before any. */
  readonly lastError: Error | undefined;
  /**
   * Why it gave up, while `failed` and after a restart until it gets past the failing event;
   * undefined otherwise.
   */
  readonly failure: ConsumerFailure | undefined;
  readonly waitingFor: ConsumerWait;
  /** Events handled since the consumer was last started. */
  readonly handled: number;
  /** Who runs the consumer, where the storage has leases (undefined otherwise). */
  readonly lease: ConsumerLeaseStatus | undefined;
  /**
   * A partitioned consumer's partitions (see `ConsumerOptions.partitions`), by index; absent
   * without partitions. `position` and `lag.events` above are then those of the partition
   * furthest behind.
   */
  readonly partitions?: readonly ConsumerPartitionStatus[];
}

/**
 * One partition of a partitioned consumer, as its status shows it.
 *
 * @example
 * ```ts
 * for (const { index, owner, position, lag } of (await consumer.status()).partitions ?? []) {
 *   console.log(`#${index} on ${owner ?? 'nobody'} at ${position}, ${lag.events} behind`);
 * }
 * ```
 */
export interface ConsumerPartitionStatus {
  readonly index: number;
  /** The instance holding the partition's lease (undefined while nobody does). */
  readonly owner: string | undefined;
  /** Whether it is in this instance's share (while `owner` is another, it waits for that lease). */
  readonly local: boolean;
  /** Its checkpoint. */
  readonly position: number;
  readonly lag: {
    /** Positions between its checkpoint and the head (events of other partitions included). */
    readonly events: number;
    /** Age of the oldest event of the log after its checkpoint (0 when caught up). */
    readonly ms: number;
  };
  /** Its state in this instance: `stopped` when another instance (or none) runs it. */
  readonly state: ConsumerState;
}

/**
 * A long-running reader of the global log with a durable checkpoint: subscriptions, async
 * projections, process managers and listeners all are one.
 *
 * @example
 * ```ts
 * await consumer.start();
 * await store.append('order-1', events, { streamType: 'Order' });
 * await consumer.waitUntilCaughtUp();
 * await consumer.stop();
 * ```
 */
export interface Consumer {
  readonly name: string;
  /**
   * Resumes from the checkpoint (or the beginning) and keeps following the log until stopped.
   * Resolves once running; also restarts a `failed` consumer at the event it failed on.
   */
  start(): Promise<void>;
  /** Stops after the event in hand; resolves when no work and no timer is left. */
  stop(): Promise<void>;
  status(): Promise<ConsumerStatus>;
  /**
   * Resolves when the consumer has handled everything up to the head as of this call. Rejects
   * with the failure if the consumer fails, or `CONSUMER_STOPPED` if it is or gets stopped.
   */
  waitUntilCaughtUp(): Promise<void>;
}

/**
 * Bounded retry with exponential backoff: attempt n waits `min(maxDelayMs, initialDelayMs·2^(n-1))`.
 *
 * @example
 * ```ts
 * const retry: BackoffOptions = { attempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 };
 * ```
 */
export interface BackoffOptions {
  /** Attempts per event, including the first (default 5). */
  readonly attempts?: number;
  /** Delay after the first failure (default 100 ms). */
  readonly initialDelayMs?: number;
  /** Longest delay between attempts (default 10 s). */
  readonly maxDelayMs?: number;
}

/**
 * Options every consumer shares.
 *
 * @example
 * ```ts
 * const options: ConsumerOptions = { batchSize: 500, pollIntervalMs: 2_000, retry: { attempts: 3 } };
 * ```
 */
export interface ConsumerOptions {
  /** Events read per page (default 100): memory stays bounded by it, however far behind. */
  readonly batchSize?: number;
  /**
   * Longest idle wait before looking for new events again (default 1 s). New events normally
   * wake the consumer at once (the storage's append signal); polling covers signals lost across
   * processes. Waiting never skips anything: the next read starts at the checkpoint.
   */
  readonly pollIntervalMs?: number;
  readonly retry?: BackoffOptions;
  /** The clock for lag and timestamps (inject one in tests). */
  readonly clock?: () => Date;
  /**
   * Where the storage has leases (PostgreSQL, SQLite, memory), one runner per consumer name is
   * active across processes and the others stand by: tune it here, or `false` to run without
   * (every runner of the name would then handle events: only for consumers known to run once).
   */
  readonly lease?: LeaseOptions | false;
  /**
   * Called once each time the consumer gives up (state `failed`), after the failure is recorded
   * in the store (see `listConsumerFailures`). What it throws is ignored: the consumer has failed
   * already. Wire it to your alerting.
   */
  readonly onError?: (failure: ConsumerFailure) => void | Promise<void>;
  /**
   * Splits the consumer into this many partitions, so several processes share its work: each
   * stream goes to partition `partitionOf(streamId, partitions)`, keeping its events in order (a
   * process manager's events go by their instance key instead, keeping each instance in one),
   * and each partition has its own checkpoint and lease. The instances running the consumer
   * divide the partitions between them and rebalance as instances start, stop or die; one
   * instance alone runs them all. Default: no partitions (one runner for the whole log). The
   * count is fixed for a consumer's checkpoints: starting with another count throws
   * `PartitionCountChangedError` (rebuild a projection into a new version instead).
   */
  readonly partitions?: number;
}

/**
 * Where a consumer that has no checkpoint yet starts (side-effect consumers only).
 *
 * @example
 * ```ts
 * const options: StartOptions = { startFrom: 'end' };
 * ```
 */
export interface StartOptions {
  /**
   * `'beginning'` (default) handles the whole log; `'end'` starts at the head when the consumer
   * first runs, e.g. a notification listener deployed on a long history, which should not send
   * mail for it; `{ position: n }` starts after global position n (a position you recorded, or
   * where another system left off). The starting point is saved as the checkpoint at once, by the
   * lease holder, so a restart or a fail-over goes on from there. Ignored once a checkpoint exists
   * (delete it with `store.deleteCheckpoint` to start over).
   */
  readonly startFrom?: 'beginning' | 'end' | { readonly position: number };
}

/**
 * How a consumer's effects and its checkpoint move together:
 * - `'exactly-once'`: a page's effects and its checkpoint commit in one fenced transaction, so
 *   effects written through that transaction happen once (subscriptions, projections, process
 *   managers);
 * - `'at-least-once'`: each event's effect first, then its checkpoint, so a crash in between
 *   repeats the effect (listeners, whose effects lie outside the storage).
 */
export type DeliveryMode = 'exactly-once' | 'at-least-once';

/** What an exactly-once kind's page hook gets besides the events. */
export interface PageContext<Tx> {
  /** The fenced transaction the runner saves the checkpoint in: effects written through it commit with it. */
  readonly transaction: Tx;
  /** 1 for a whole page; 1, 2, 3… while one event of a failed page is retried on its own. */
  readonly attempt: number;
}

/**
 * What a kind's hooks work with: the runner's storage, fenced by its lease (a partition's own, for
 * a partitioned consumer), and the partition it runs, if any.
 */
export interface HookContext<Tx> {
  readonly storage: EventStorage<Tx>;
  readonly partition: { readonly index: number; readonly count: number } | undefined;
}

/** Hooks every kind may have, whatever its delivery. */
interface KindHooks<Tx> {
  /**
   * After the last attempt failed, inside a fenced transaction: true if the event was dealt with
   * anyway (a listener's dead letter; the runner saves the checkpoint in that transaction), false
   * to fail the consumer.
   */
  giveUp?(event: StoredEvent, error: unknown, attempts: number, transaction: Tx): Promise<boolean>;
  /** Work due before each read (a process manager's scheduled commands). */
  beforeRead?(context: HookContext<Tx>): Promise<unknown>;
  /** Milliseconds until `beforeRead` has work again, to cap the idle wait. */
  msUntilDue?(context: HookContext<Tx>): Promise<number | undefined>;
}

/**
 * One kind of consumer's twist on the runner's loop: the runner takes the lease, reads, opens the
 * fenced transaction, saves the checkpoint, retries and reports; the kind only applies events.
 */
export type ConsumerKind<Tx> = KindHooks<Tx> &
  (
    | {
        readonly delivery: 'exactly-once';
        /**
         * Applies a page (while catching up, many events; after a page failed, one event at a time)
         * inside the fenced transaction. If it throws, nothing of the page commits.
         */
        applyPage(events: readonly StoredEvent[], context: PageContext<Tx>): Promise<void>;
        /**
         * Checked in the page's transaction before `applyPage`: false when this runner is
         * superseded (a projection whose live version moved), so the page is neither applied nor
         * checkpointed and the runner leaves it.
         */
        isCurrent?(transaction: Tx): Promise<boolean>;
        /** After the page committed (a process manager sends the commands its steps stored). */
        afterCommit?(events: readonly StoredEvent[], context: HookContext<Tx>): Promise<void>;
      }
    | {
        readonly delivery: 'at-least-once';
        /** Applies one event; the runner saves its checkpoint after it returns. */
        applyEvent(event: StoredEvent, attempt: number): Promise<void>;
      }
  );

/** A runner's identity and filter. */
export interface RunnerSpec {
  /** The consumer's name, as status shows it. */
  readonly name: string;
  /** Its checkpoint id and lease name (see `consumerCheckpointId`). */
  readonly checkpointId: string;
  readonly types?: readonly string[] | undefined;
  readonly streamTypes?: readonly string[] | undefined;
  readonly startFrom?: StartOptions['startFrom'];
  /** The read gate pages go through (the store's: upcasting, validation); raw when absent. */
  readonly reader?: EventReader | undefined;
  /** Where the runner's spans and metrics go (the store's); none when absent. */
  readonly instrumentation?: Instrumentation | undefined;
  /**
   * Set for one partition of a partitioned consumer: the runner handles only the streams routed
   * to `index` of `count`, on its own checkpoint (`checkpointId`), and without one yet starts
   * where the unpartitioned checkpoint `baseCheckpointId` stands (a rebuild's switch-over).
   */
  readonly partition?: { readonly index: number; readonly count: number; readonly baseCheckpointId: string };
  /**
   * Routes events to partitions by this key instead of their stream id (a process manager's
   * instance key, whose events span streams). The storage cannot filter on it: each partition
   * reads whole pages and keeps its own events.
   */
  readonly partitionKey?: ((event: StoredEvent) => string) | undefined;
}

/** Events handled and retried together; the checkpoint moves to `position` once it `closesPosition`. */
interface UnitOfWork {
  readonly events: readonly StoredEvent[];
  readonly position: number;
  readonly closesPosition: boolean;
}

interface Sleeper {
  readonly wakeOnAppend: boolean;
  wake(): void;
}

interface Waiter {
  readonly target: number;
  resolve(): void;
  reject(error: unknown): void;
}

const defaults = {
  batchSize: 100,
  pollIntervalMs: 1_000,
  attempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
};

/**
 * The one consumer loop: take the lease ▸ checkpoint ▸ read a page after it ▸ apply it through the
 * kind and save the checkpoint, in one fenced transaction or effect first, as the kind's delivery
 * says ▸ when the page ran dry, wait for an append or the poll interval. Catch-up and live are the
 * same loop, so there is no hand-over where events could be missed or repeated. Every kind of
 * consumer is this runner with a {@link ConsumerKind}; none writes its checkpoint itself.
 */
export class ConsumerRunner<Tx = unknown> implements Consumer {
  readonly name: string;
  /**
   * The storage as this runner writes it: while it runs with a lease, transactions and writes
   * outside one need the lease (its fence). A kind's own writes outside the page (a listener's
   * dead-letter retries, a process manager's outbox) go through it too.
   */
  readonly storage: EventStorage<Tx>;
  readonly #hookContext: HookContext<Tx>;
  readonly #spec: RunnerSpec;
  readonly #reader: EventReader;
  readonly #lease: ConsumerLease<Tx> | undefined;
  readonly #kind: ConsumerKind<Tx>;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #attempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #clock: () => Date;
  readonly #instrumentation: Instrumentation;
  readonly #failures: InstrumentationCounter;
  // A partition's readings share the consumer's name: without its index they would overwrite each other.
  readonly #metricAttributes: InstrumentationAttributes;
  #unobserveLag: (() => void) | undefined;
  readonly #onError: ConsumerOptions['onError'];
  // Serialises the loop's steps with outside operations (replays, dead-letter retries, deadlines).
  readonly #lock = new Mutex();
  #state: ConsumerState = 'stopped';
  #position = 0;
  // The last position whose page committed in this process; above #position while its
  // after-commit work is still to succeed, so a retry does not apply the page again.
  #committed = 0;
  #head = 0;
  // The head the last step read from the storage; pages below it need not read it again.
  #readHead = 0;
  #handled = 0;
  #lastError: Error | undefined;
  #failure: ConsumerFailure | undefined;
  // The position the consumer must reach to count as recovered while a failure is recorded in
  // the store (by this process or a previous owner), so the owner that gets past it clears it.
  #recoveredAt: number | undefined;
  #waiting: ConsumerWait = { kind: 'nothing' };
  // While failed: the next look for a restart request from another process.
  #restartWatch: ReturnType<typeof setTimeout> | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #appended = false;
  // The position moved past skipped events without saving: the next exhausted page saves it.
  #skippedUnsaved = false;
  #sleeper: Sleeper | undefined;
  #unsubscribe: (() => void) | undefined;
  #waiters: Waiter[] = [];
  #unavailable: { readonly since: Date; failures: number } | undefined;

  constructor(storage: EventStorage<Tx>, spec: RunnerSpec, kind: ConsumerKind<Tx>, options: ConsumerOptions) {
    this.name = spec.name;
    this.#spec = spec;
    this.#reader = spec.reader ?? EventReader.raw;
    this.#lease = ConsumerLease.for(storage, spec.checkpointId, options.lease);
    this.storage = this.#lease?.guard(storage) ?? storage;
    const { partition } = spec;
    this.#hookContext = {
      storage: this.storage,
      partition: partition === undefined ? undefined : { index: partition.index, count: partition.count },
    };
    this.#kind = kind;
    this.#batchSize = options.batchSize ?? defaults.batchSize;
    this.#pollIntervalMs = options.pollIntervalMs ?? defaults.pollIntervalMs;
    this.#attempts = options.retry?.attempts ?? defaults.attempts;
    this.#initialDelayMs = options.retry?.initialDelayMs ?? defaults.initialDelayMs;
    this.#maxDelayMs = options.retry?.maxDelayMs ?? defaults.maxDelayMs;
    this.#clock = options.clock ?? (() => new Date());
    this.#instrumentation = spec.instrumentation ?? noopInstrumentation;
    this.#metricAttributes =
      spec.partition === undefined
        ? { 'hindsight.consumer': this.name }
        : { 'hindsight.consumer': this.name, 'hindsight.partition': spec.partition.index };
    this.#failures = this.#instrumentation.counter(
      'hindsight.consumer.failures',
      'Failed attempts of consumers at a page or an event',
    );
    this.#onError = options.onError;
    checkVersion('batchSize', this.#batchSize, 1);
    checkVersion('pollIntervalMs', this.#pollIntervalMs, 1);
    checkVersion('retry.attempts', this.#attempts, 1);
    checkVersion('retry.initialDelayMs', this.#initialDelayMs, 0);
    checkVersion('retry.maxDelayMs', this.#maxDelayMs, 0);
    checkStartFrom(spec.startFrom);
    checkPartitions(spec.partition?.count);
  }

  /** Its state as of now, without asking the storage (see {@link status}). */
  get state(): ConsumerState {
    return this.#state;
  }

  /** The position handled last, without asking the storage. */
  get position(): number {
    return this.#position;
  }

  /** Runs `work` between two of the loop's steps, never during one. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#lock.run(work);
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) return;
    clearTimeout(this.#restartWatch);
    this.#restartWatch = undefined;
    this.#stopping = false;
    this.#handled = 0;
    // Subscribe before reading the head, so no append between the two goes unnoticed.
    this.#unsubscribe = this.storage.onAppended((head) => {
      this.#head = Math.max(this.#head, head);
      this.#appended = true;
      if (this.#sleeper?.wakeOnAppend) this.#sleeper.wake();
    });
    const lease = this.#lease;
    try {
      // The first try at the lease is part of starting, so an owner is known once start resolves.
      // A consumer that ran partitioned has no meaningful checkpoint of its own.
      if (this.#spec.partition === undefined) {
        await checkPartitionCount(this.storage.documents, this.name, this.#spec.checkpointId, undefined);
      }
      if (lease !== undefined) {
        lease.engage();
        await lease.tryAcquire();
      }
      this.#position = await this.#loadPosition(lease === undefined || lease.held);
      // The stored checkpoint is the truth on a start: it may have been deleted or moved back
      // since this runner last committed, and those events must be applied again.
      this.#committed = this.#position;
      this.#head = await this.storage.headPosition();
    } catch (error) {
      this.#unsubscribe();
      this.#unsubscribe = undefined;
      await lease?.release();
      throw error;
    }
    this.#state = 'catching_up';
    this.#unobserveLag ??= this.#instrumentation.observeGauge(
      'hindsight.consumer.lag',
      'Positions between a consumer and the head of the log, as the consumer last saw them',
      () => [{ value: Math.max(0, this.#head - this.#position), attributes: this.#metricAttributes }],
    );
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#restartWatch);
    this.#restartWatch = undefined;
    this.#stopping = true;
    this.#sleeper?.wake();
    await this.#loop;
    this.#state = 'stopped';
    // Only here: a failed consumer still reports its lag, which then grows.
    this.#unobserveLag?.();
    this.#unobserveLag = undefined;
  }

  async status(): Promise<ConsumerStatus> {
    // Status must answer during an outage too: then from what the runner saw last.
    let head = this.#head;
    let lagMs = 0;
    const position = this.#position;
    try {
      head = Math.max(head, await this.storage.headPosition());
      if (position < head) {
        const {
          events: [next],
        } = await this.#reader.globalPage(this.storage, {
          ...this.#filter(),
          after: position,
          upTo: head,
          limit: 1,
        });
        if (next !== undefined) lagMs = Math.max(0, this.#clock().getTime() - next.timestamp.getTime());
      }
    } catch {
      lagMs =
        this.#unavailable === undefined ? 0 : this.#clock().getTime() - this.#unavailable.since.getTime();
    }
    this.#head = head;
    return {
      name: this.name,
      state: this.#state,
      position,
      head,
      lag: { events: Math.max(0, head - position), ms: lagMs },
      lastError: this.#lastError,
      failure: this.#failure,
      waitingFor: this.#readsHeldBack() ?? this.#waiting,
      handled: this.#handled,
      lease: await this.#lease?.status(),
    };
  }

  /** The storage's in-flight append blocking reads, when the consumer is only waiting to read. */
  #readsHeldBack(): ConsumerWait | undefined {
    if (this.#waiting.kind !== 'new-events' && this.#waiting.kind !== 'storage') return undefined;
    return this.storage.readHorizon?.current().waitingFor;
  }

  async waitUntilCaughtUp(): Promise<void> {
    const target = await this.storage.headPosition();
    if (this.#position >= target) return;
    if (this.#state === 'failed') throw this.#lastError;
    if (this.#loop === undefined) throw this.#stoppedError();
    await new Promise<void>((resolve, reject) => this.#waiters.push({ target, resolve, reject }));
  }

  async #run(): Promise<void> {
    const lease = this.#lease;
    try {
      while (!this.#stopping) {
        if (lease !== undefined && !lease.held && !(await this.#takeLease(lease))) continue;
        try {
          await this.#step();
        } catch (error) {
          // Fenced off: another runner took over. Stand by again; nothing of this step committed.
          if (!isHindsightError(error, 'LEASE_LOST')) throw error;
          lease?.lost();
        }
      }
      this.#state = 'stopped';
      this.#settleWaiters(this.#stoppedError());
    } catch (error) {
      this.#state = 'failed';
      this.#lastError = toError(error);
      await this.#reportFailure(this.#lastError);
      this.#settleWaiters(this.#lastError);
    } finally {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#waiting = { kind: 'nothing' };
      // A failed runner lets go too: another process (maybe with fixed code) may carry on.
      await lease?.release();
      this.#loop = undefined;
      if (this.#state === 'failed' && !this.#stopping) this.#watchForRestart();
    }
  }

  /**
   * While failed, looks every poll interval for a restart request (`requestConsumerRestart`) made
   * after the failure, and starts again when it finds one. A request older than the failure is
   * left alone: it was meant for an earlier one.
   */
  #watchForRestart(): void {
    const documents = this.storage.documents;
    const failure = this.#failure;
    if (documents === undefined || failure === undefined) return;
    const look = async (): Promise<void> => {
      this.#restartWatch = undefined;
      if (this.#state !== 'failed' || this.#loop !== undefined || this.#stopping) return;
      try {
        const request = await documents.get(consumerRestarts, failure.checkpointId);
        const at = Date.parse(String((request?.value as { requestedAt?: unknown } | undefined)?.requestedAt));
        if (request !== undefined && at >= failure.failedAt.getTime()) {
          await documents.delete(consumerRestarts, failure.checkpointId);
          if (this.#state === 'failed' && this.#loop === undefined && !this.#stopping) await this.start();
          return;
        }
      } catch {
        // Unreachable storage, or start() refused: look again at the next interval.
      }
      if (this.#state === 'failed' && this.#loop === undefined && !this.#stopping) this.#watchForRestart();
    };
    this.#restartWatch = setTimeout(() => void look(), this.#pollIntervalMs);
  }

  /**
   * Records the failure in the store while this runner still holds the lease, then tells
   * `onError`. Both best effort: neither may hide the failure itself, which status and the
   * consumer's waiters carry anyway.
   */
  async #reportFailure(error: Error): Promise<void> {
    const failed = isHindsightError(error, 'HANDLER_FAILED') ? error : undefined;
    const event = failed?.event;
    const failure: ConsumerFailure = {
      consumer: this.name,
      checkpointId: this.#spec.checkpointId,
      event,
      error,
      attempts: failed?.attempts ?? 1,
      position: this.#position,
      failedAt: this.#clock(),
      owner: this.#lease?.owner,
    };
    this.#failure = failure;
    this.#recoveredAt = event?.position ?? this.#position;
    try {
      await this.storage.documents?.put(consumerFailures, failure.checkpointId, failureRecord(failure));
    } catch {
      // Unreachable storage or a lost lease: the next owner's status is what operators see then.
    }
    try {
      await this.#onError?.(failure);
    } catch {
      // The hook's own failure must not turn into the consumer's.
    }
  }

  /**
   * Once past the failing event, the failure is history: removed from status and from the store,
   * where this owner or a previous one recorded it.
   */
  async #clearFailure(): Promise<void> {
    if (this.#recoveredAt === undefined || this.#position < this.#recoveredAt) return;
    try {
      await this.storage.documents?.delete(consumerFailures, this.#spec.checkpointId);
    } catch (error) {
      // Tried again after the next step.
      if (isUnavailable(error)) return;
      throw error;
    }
    this.#recoveredAt = undefined;
    this.#failure = undefined;
    this.#advance(this.#position);
  }

  /**
   * One try at the lease. Either way the position is reloaded from the stored checkpoint: the
   * previous owner moved it, and a standby's status and `waitUntilCaughtUp` follow the owner.
   */
  async #takeLease(lease: ConsumerLease<Tx>): Promise<boolean> {
    let held: boolean;
    try {
      held = await lease.tryAcquire();
      // Clearing a recorded failure is the owner's work; a standby only follows the position.
      if (!held) this.#recoveredAt = undefined;
      this.#advance(await this.#loadPosition(held));
      this.#unavailable = undefined;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      await this.#waitForStorage(error);
      return false;
    }
    if (held) return true;
    const { holder, expiresAt } = await lease.status();
    this.#waiting = { kind: 'lease', holder, until: expiresAt };
    await this.#sleep(lease.retryMs, false);
    return false;
  }

  /**
   * The stored checkpoint; without one, 0, or for a consumer starting from the end the head, saved
   * at once when this runner may write (`owner`), so every later owner starts from the same point.
   */
  async #loadPosition(owner: boolean): Promise<number> {
    const { checkpointId, startFrom, partition } = this.#spec;
    const saved =
      (await this.storage.loadCheckpoint(checkpointId)) ??
      (partition === undefined ? undefined : await this.storage.loadCheckpoint(partition.baseCheckpointId));
    if (owner && this.#recoveredAt === undefined) {
      // A failure a previous owner recorded: this owner clears it once past its event.
      const recorded = await this.storage.documents?.get(consumerFailures, checkpointId);
      if (recorded !== undefined) this.#recoveredAt = recordedPosition(recorded.value) ?? saved ?? 0;
    }
    if (saved !== undefined || startFrom === undefined || startFrom === 'beginning' || !owner) {
      return saved ?? 0;
    }
    const start = startFrom === 'end' ? await this.storage.headPosition() : startFrom.position;
    await this.storage.saveCheckpoint(checkpointId, start);
    return start;
  }

  /** Reads one page after the position and handles it; idles when it was the last. */
  async #step(): Promise<void> {
    this.#appended = false;
    const { beforeRead } = this.#kind;
    if (beforeRead !== undefined) {
      const done = await this.#attempt(undefined, async () => {
        await beforeRead.call(this.#kind, this.#hookContext);
        return true;
      });
      if (done === false) return;
    }
    this.#waiting = { kind: 'storage' };
    // While catching up below a head already read, the next page needs no new one: a round trip
    // less per page, and on PostgreSQL no read-horizon wait beside the appends.
    const known = this.#position < this.#readHead;
    const read = await this.#attempt(undefined, async () => {
      const head = known ? this.#readHead : await this.storage.headPosition();
      this.#readHead = head;
      this.#head = Math.max(this.#head, head);
      const after = this.#position;
      // A partition by stream reads only its own streams' events: in the storage's read where
      // supported, otherwise dropped by the reader before decoding (see bench/ for what each
      // costs). A partition by key reads whole pages and keeps its own events here.
      const { partition } = this.#hookContext;
      const { partitionKey } = this.#spec;
      const { events, exhausted, last } = await this.#reader.globalPage(this.storage, {
        ...this.#filter(),
        after,
        upTo: head,
        limit: this.#batchSize,
        ...(partition !== undefined && partitionKey === undefined ? { partition } : {}),
      });
      const page =
        partition === undefined || partitionKey === undefined
          ? events
          : events.filter((event) => partitionOf(partitionKey(event), partition.count) === partition.index);
      return { head, page, exhausted, last };
    });
    if (read === false) return;
    const { head, page, exhausted, last } = read;
    if (page.length > 0 && !(await this.#consume(page))) return;
    await this.#clearFailure();
    if (this.#stopping) return;
    // Decoding may have dropped stored events of the page (parts of a split outside the filter):
    // read on after them. The checkpoint stays at the last event handled, so a restart reads them
    // again and drops them again.
    if (!exhausted && last !== undefined && last > this.#position) {
      this.#advance(last);
      this.#skippedUnsaved = true;
    }
    if (exhausted) {
      // Everything up to `head` is handled; with a filter (or a partition), skipped events lie
      // below it too, so the checkpoint moves to the head and a restart does not scan them again.
      if (this.#position < head || this.#skippedUnsaved) {
        try {
          await this.storage.saveCheckpoint(this.#spec.checkpointId, head);
        } catch (error) {
          // Only an optimisation: the next step reads from the older checkpoint and saves again.
          if (!isUnavailable(error)) throw error;
          await this.#waitForStorage(error);
          return;
        }
        this.#advance(head);
        this.#skippedUnsaved = false;
      }
      // Only a head read just now says there is nothing more: the next step reads a new one.
      if (known) return;
      this.#state = 'running';
      await this.#idle();
    }
  }

  /**
   * Handles a page inside a `hindsight.consume` span linked to the spans that caused its events
   * (the trace context their metadata carries); false when the step should end here.
   */
  #consume(page: readonly StoredEvent[]): Promise<boolean> {
    const links = new Map<string, TraceContext>();
    for (const event of page) {
      const trace = traceContextOf(event.metadata);
      if (trace !== undefined) links.set(trace.traceparent, trace);
    }
    return this.#instrumentation.span(
      'hindsight.consume',
      {
        attributes: {
          ...this.#metricAttributes,
          'hindsight.event_count': page.length,
          'hindsight.position.first': page[0]?.position ?? 0,
          'hindsight.position.last': page.at(-1)?.position ?? 0,
        },
        links: [...links.values()],
      },
      async () => {
        const lease = this.#lease;
        const batched = await this.#handlePage(page);
        if (batched === 'stopped' || batched === 'superseded') return false;
        for (const unit of batched === 'done' ? [] : this.#units(page)) {
          // A renewal found the lease gone: the fence would refuse the commit anyway.
          if (lease !== undefined && !lease.held) return false;
          if (this.#stopping || (await this.#handle(unit)) !== 'committed') return false;
          if (unit.closesPosition) this.#advance(Math.max(this.#position, unit.position));
        }
        return true;
      },
    );
  }

  /**
   * The page as units of work, one at a time. The parts of a split stored event share its position,
   * and a checkpoint at that position means all of them are handled: exactly once, they commit in one
   * transaction; at least once, each is handled (and retried) alone, and only the last part saves the
   * checkpoint, so a crash between two parts reads the whole split again.
   */
  *#units(page: readonly StoredEvent[]): Generator<UnitOfWork> {
    for (let start = 0; start < page.length; ) {
      const position = (page[start] as StoredEvent).position;
      let end = start + 1;
      while (page[end]?.position === position) end += 1;
      if (this.#kind.delivery === 'exactly-once') {
        yield { events: page.slice(start, end), position, closesPosition: true };
      } else {
        for (let part = start; part < end; part += 1) {
          yield { events: [page[part] as StoredEvent], position, closesPosition: part === end - 1 };
        }
      }
      start = end;
    }
  }

  /**
   * Tries the page in one transaction: 'done' (handled, checkpoint moved), 'one-by-one' (an
   * at-least-once kind, a single event, or the page failed: the caller handles the page event by
   * event, with retries, and so finds the event at fault), 'superseded' or 'stopped'.
   */
  async #handlePage(page: readonly StoredEvent[]): Promise<'done' | 'one-by-one' | 'superseded' | 'stopped'> {
    const [first] = page;
    if (this.#kind.delivery === 'at-least-once' || first === undefined || page.length < 2) {
      return 'one-by-one';
    }
    if ((this.#lease !== undefined && !this.#lease.held) || this.#stopping) return 'stopped';
    this.#waiting = { kind: 'handler', event: eventRef(first), since: this.#clock() };
    let outcome: 'committed' | 'superseded';
    try {
      outcome = await this.#lock.run(() => this.#commit(page, 1));
    } catch (error) {
      if (isHindsightError(error, 'EVENT_CYCLE') || isHindsightError(error, 'LEASE_LOST')) throw error;
      this.#failures.add(1, this.#metricAttributes);
      return 'one-by-one';
    }
    this.#unavailable = undefined;
    if (outcome === 'superseded') return 'superseded';
    this.#advance(page.at(-1)?.position ?? this.#position);
    return 'done';
  }

  /**
   * The runner's unit of work: `events` applied by the kind and the checkpoint of the last saved,
   * in one fenced transaction (exactly once) or each event's effect first (at least once). Events
   * already committed (their after-commit work failed and is retried) only get that work again.
   * The caller moves the position once this resolves, so waiters see the after-commit work done.
   */
  async #commit(
    events: readonly StoredEvent[],
    attempt: number,
    closesPosition = true,
  ): Promise<'committed' | 'superseded'> {
    const kind = this.#kind;
    const { checkpointId } = this.#spec;
    if (kind.delivery === 'at-least-once') {
      for (const event of events) {
        await kind.applyEvent(event, attempt);
        this.#handled += 1;
      }
      const last = events.at(-1);
      if (closesPosition && last !== undefined) {
        await this.storage.saveCheckpoint(checkpointId, last.position);
        this.#committed = last.position;
      }
      return 'committed';
    }
    const last = events.at(-1);
    if (last === undefined) return 'committed';
    if (last.position > this.#committed) {
      const applied = await this.storage.transaction(async (transaction) => {
        if (kind.isCurrent !== undefined && !(await kind.isCurrent(transaction))) return false;
        await kind.applyPage(events, { transaction, attempt });
        await this.storage.saveCheckpoint(checkpointId, last.position, transaction);
        return true;
      });
      if (!applied) return 'superseded';
      this.#committed = last.position;
      this.#handled += events.length;
    }
    // Caught up means the after-commit work is done too (a process manager's commands sent).
    await kind.afterCommit?.(events, this.#hookContext);
    return 'committed';
  }

  /** Handles one unit of work with retries; false when stopped while backing off. */
  #handle(unit: UnitOfWork): Promise<'committed' | 'superseded' | false> {
    const kind = this.#kind;
    const { giveUp } = kind;
    const { events, closesPosition } = unit;
    const [event] = events;
    // Only at-least-once kinds give up, and their units hold one event.
    const single = events.length === 1 ? event : undefined;
    return this.#attempt(
      event,
      (attempt) => this.#commit(events, attempt, closesPosition),
      giveUp === undefined || single === undefined
        ? undefined
        : async (error, attempts) => {
            const dealtWith = await this.storage.transaction(async (transaction) => {
              if (!(await giveUp.call(kind, single, error, attempts, transaction))) return false;
              if (closesPosition) {
                await this.storage.saveCheckpoint(this.#spec.checkpointId, single.position, transaction);
              }
              return true;
            });
            if (!dealtWith) return undefined;
            if (closesPosition) this.#committed = single.position;
            this.#handled += 1;
            return 'committed' as const;
          },
    );
  }

  /**
   * Runs one step with bounded retries. Returns its result, or false when stopped while backing
   * off. After the last attempt, `recover` may still produce a result; otherwise throws
   * `HandlerFailedError` (a non-retryable error as is). An unreachable storage is retried for as
   * long as it takes, without using up attempts: the event is not at fault.
   */
  async #attempt<T>(
    event: StoredEvent | undefined,
    step: (attempt: number) => Promise<T>,
    recover?: (error: unknown, attempts: number) => Promise<T | undefined>,
  ): Promise<T | false> {
    const ref = event === undefined ? undefined : eventRef(event);
    for (let attempt = 1; ; ) {
      if (event !== undefined) this.#waiting = { kind: 'handler', event: ref, since: this.#clock() };
      try {
        const result = await this.#lock.run(() => step(attempt));
        this.#unavailable = undefined;
        return result;
      } catch (error) {
        // A cycle is a design error: trying again cannot help and would only repeat the refusal.
        // A lost lease is no failure of this consumer's: the run loop stands by again.
        if (isHindsightError(error, 'EVENT_CYCLE') || isHindsightError(error, 'LEASE_LOST')) throw error;
        if (isUnavailable(error)) {
          await this.#waitForStorage(error);
          if (this.#stopping) return false;
          continue;
        }
        this.#lastError = toError(error);
        this.#failures.add(1, this.#metricAttributes);
        if (attempt >= this.#attempts) {
          const recovered =
            recover === undefined ? undefined : await this.#lock.run(() => recover(error, attempt));
          if (recovered !== undefined) return recovered;
          throw new HandlerFailedError({
            consumer: this.name,
            ...(ref === undefined ? {} : { event: ref }),
            attempts: attempt,
            cause: error,
          });
        }
        const delay = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (attempt - 1));
        attempt += 1;
        this.#waiting = {
          kind: 'retry',
          event: ref,
          attempt,
          until: new Date(this.#clock().getTime() + delay),
        };
        await this.#sleep(delay, false);
        if (this.#stopping) return false;
      }
    }
  }

  /** Backs off while the storage is unreachable: the backoff grows with the outage, capped. */
  async #waitForStorage(error: unknown): Promise<void> {
    const now = this.#clock();
    this.#unavailable ??= { since: now, failures: 0 };
    const delay = Math.min(
      this.#maxDelayMs,
      Math.max(this.#initialDelayMs, 10) * 2 ** Math.min(this.#unavailable.failures, 16),
    );
    this.#unavailable.failures += 1;
    this.#lastError = toError(error);
    this.#waiting = {
      kind: 'storage-unavailable',
      since: this.#unavailable.since,
      until: new Date(now.getTime() + delay),
      error: this.#lastError,
    };
    await this.#sleep(delay, false);
  }

  async #idle(): Promise<void> {
    if (this.#appended || this.#stopping) return;
    this.#waiting = { kind: 'new-events' };
    let due: number | undefined;
    try {
      due = await this.#kind.msUntilDue?.(this.#hookContext);
    } catch {
      // Work found due is retried by the next step's `beforeRead`, which reports its errors.
      due = 0;
    }
    await this.#sleep(Math.max(0, Math.min(this.#pollIntervalMs, due ?? Number.POSITIVE_INFINITY)), true);
  }

  #sleep(ms: number, wakeOnAppend: boolean): Promise<void> {
    if (this.#stopping || (wakeOnAppend && this.#appended)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => sleeper.wake(), ms);
      const sleeper: Sleeper = {
        wakeOnAppend,
        wake: () => {
          clearTimeout(timer);
          if (this.#sleeper === sleeper) this.#sleeper = undefined;
          resolve();
        },
      };
      this.#sleeper = sleeper;
    });
  }

  #advance(position: number): void {
    this.#position = position;
    // Past a recorded failure, caught up also means the record is gone (what other processes
    // read): #clearFailure resolves these waiters once it has removed it.
    if (this.#recoveredAt !== undefined && position >= this.#recoveredAt) return;
    const ready = this.#waiters.filter((waiter) => waiter.target <= position);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => waiter.target > position);
    for (const waiter of ready) waiter.resolve();
  }

  #settleWaiters(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #stoppedError(): HindsightError {
    return new HindsightError('CONSUMER_STOPPED', `Consumer "${this.name}" is stopped`);
  }

  #filter(): { types?: readonly string[]; streamTypes?: readonly string[] } {
    const { types, streamTypes } = this.#spec;
    return {
      ...(types === undefined ? {} : { types }),
      ...(streamTypes === undefined ? {} : { streamTypes }),
    };
  }
}

/**
 * The consumer face of a runner, as every kind hands it out (spread it and add the kind's own
 * methods): the runner itself stays private, so callers cannot reach its internals.
 */
export function consumerOf(runner: Consumer): Consumer {
  return {
    name: runner.name,
    start: () => runner.start(),
    stop: () => runner.stop(),
    status: () => runner.status(),
    waitUntilCaughtUp: () => runner.waitUntilCaughtUp(),
  };
}

/** The fields of an event that identify it in errors and status. */
export function eventRef(event: StoredEvent): FailedEventRef {
  return { eventId: event.eventId, streamId: event.streamId, type: event.type, position: event.position };
}

/** A retryable storage failure (the database unreachable), as opposed to one of the consumer's. */
function isUnavailable(error: unknown): boolean {
  return isHindsightError(error, 'STORAGE_UNAVAILABLE') && error.retryable;
}

/** The failing event's position in a stored failure record, if it names one. */
function recordedPosition(value: unknown): number | undefined {
  const position = (value as { event?: { position?: unknown } } | null)?.event?.position;
  return typeof position === 'number' ? position : undefined;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function checkStartFrom(startFrom: unknown): void {
  if (startFrom === undefined || startFrom === 'beginning' || startFrom === 'end') return;
  const position =
    typeof startFrom === 'object' && startFrom !== null
      ? (startFrom as { position?: unknown }).position
      : undefined;
  if (typeof position !== 'number') {
    throw new InvalidArgumentError({
      argument: 'startFrom',
      value: startFrom,
      problem: "must be 'beginning', 'end' or { position: n }",
    });
  }
  checkVersion('startFrom.position', position, 0);
}
