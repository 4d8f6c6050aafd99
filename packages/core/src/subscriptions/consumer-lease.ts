import { LeaseLostError } from '../errors/consumer-errors.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import { checkVersion } from '../internal/checks.js';
import type { DocumentStore, EventStorage, LeaseStore, StoredLease } from '../streams/event-storage.js';

/**
 * How consumers of one name share the work across processes when the storage has leases: one
 * owner runs, the others stand by and take over when its lease lapses.
 *
 * @example
 * ```ts
 * const lease: LeaseOptions = { owner: `${hostname()}:${process.pid}`, ttlMs: 5_000 };
 * createProjectionRunner(store, OrderSummaries, { lease });
 * ```
 */
export interface LeaseOptions {
  /**
   * This consumer's name in the lease, shown in status (default: a random id per runner). Unique
   * per running process: the lease knows runners by this name alone, so two runners given the same
   * owner would both hold it and both handle every event.
   */
  readonly owner?: string;
  /**
   * How long the lease lasts without renewal (default 10 s): how soon a standby takes over after
   * the owner died. The owner renews every third of it.
   */
  readonly ttlMs?: number;
  /** How often a standby tries to take the lease (default: a quarter of `ttlMs`, at most 1 s). */
  readonly retryMs?: number;
}

/**
 * A consumer's lease as its status shows it.
 *
 * @example
 * ```ts
 * const { lease } = await runner.status();
 * if (lease && !lease.held) console.log(`standing by; ${lease.holder} runs it until ${lease.expiresAt?.toISOString()}`);
 * ```
 */
export interface ConsumerLeaseStatus {
  /** The lease's name (the consumer's checkpoint id). */
  readonly name: string;
  /** This runner's owner id. */
  readonly owner: string;
  /** Whether this runner holds the lease (and so is the active consumer). */
  readonly held: boolean;
  /** Who holds it according to the storage; undefined when free or unknown. */
  readonly holder: string | undefined;
  readonly expiresAt: Date | undefined;
}

const defaultTtlMs = 10_000;

/**
 * One runner's hold on its consumer's lease: acquiring, renewing in the background, releasing,
 * and fencing the runner's transactions (see {@link ConsumerLease.guard}).
 */
export class ConsumerLease<Tx = unknown> {
  readonly name: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly retryMs: number;
  readonly #leases: LeaseStore<Tx>;
  // While engaged (the runner started), the runner's transactions are fenced.
  #engaged = false;
  #held = false;
  #acquired = false;
  #renewedAt = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #renewal: Promise<void> | undefined;

  private constructor(leases: LeaseStore<Tx>, name: string, options: LeaseOptions) {
    this.#leases = leases;
    this.name = name;
    this.owner = options.owner ?? `consumer-${globalThis.crypto.randomUUID()}`;
    this.ttlMs = options.ttlMs ?? defaultTtlMs;
    this.retryMs = options.retryMs ?? Math.max(10, Math.min(1_000, Math.floor(this.ttlMs / 4)));
    checkVersion('lease.ttlMs', this.ttlMs, 1);
    checkVersion('lease.retryMs', this.retryMs, 1);
  }

  /** A lease for the consumer `name`, or undefined when the storage has no leases or they are off. */
  static for<Tx>(
    storage: EventStorage<Tx>,
    name: string,
    options: LeaseOptions | false | undefined,
  ): ConsumerLease<Tx> | undefined {
    if (options === false || storage.leases === undefined) return undefined;
    return new ConsumerLease(storage.leases, name, options ?? {});
  }

  get held(): boolean {
    return this.#held;
  }

  /** Turns the fence on: from now on the guarded storage's writes need the lease. */
  engage(): void {
    this.#engaged = true;
  }

  /** Tries once to take (or renew) the lease; true when held afterwards. */
  async tryAcquire(): Promise<boolean> {
    const held = await this.#leases.acquire(this.name, this.owner, this.ttlMs);
    if (held) {
      this.#held = true;
      this.#acquired = true;
      this.#renewedAt = Date.now();
      this.#startHeartbeat();
    } else {
      this.lost();
    }
    return held;
  }

  /** Marks the lease lost (a renewal or the fence said so); the runner goes back to standing by. */
  lost(): void {
    this.#held = false;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Stops renewing and gives the lease up, so a standby takes over at once; turns the fence off. */
  async release(): Promise<void> {
    this.lost();
    this.#engaged = false;
    // A renewal in flight would take the lease again right after the release below.
    await this.#renewal;
    // Released even when it looks lost: the storage ignores a release by an owner not holding it.
    if (!this.#acquired) return;
    this.#acquired = false;
    try {
      await this.#leases.release(this.name, this.owner);
    } catch {
      // Unreachable storage: the lease lapses by itself after ttlMs.
    }
  }

  async status(): Promise<ConsumerLeaseStatus> {
    let stored: StoredLease | undefined;
    try {
      stored = await this.#leases.read(this.name);
    } catch {
      stored = undefined;
    }
    const live = stored !== undefined && stored.expiresAt.getTime() > Date.now();
    return {
      name: this.name,
      owner: this.owner,
      held: this.#held,
      holder: live ? stored?.owner : undefined,
      expiresAt: live ? stored?.expiresAt : undefined,
    };
  }

  /**
   * A view of `storage` whose writes are fenced while the lease is engaged: `transaction` (and the
   * append fence's transaction) first checks the lease inside the transaction, so a lost lease
   * rolls back the effect and checkpoint together, and checkpoint or document writes made outside
   * a transaction get one. Reads and appends pass through (commands sent by process managers carry
   * idempotent event ids). Capabilities that write are fenced as whole objects, each written out
   * against its interface, so a write method added to one cannot slip past the fence unnoticed.
   */
  guard(storage: EventStorage<Tx>): EventStorage<Tx> {
    // Runs `work` in a transaction opened by `open`, checking the lease first while engaged.
    const fence = <T, Args extends unknown[]>(
      open: (work: (transaction: Tx, ...rest: Args) => Promise<T>) => Promise<T>,
      work: (transaction: Tx, ...rest: Args) => Promise<T>,
    ): Promise<T> => {
      if (!this.#engaged) return open(work);
      if (!this.#held) return Promise.reject(new LeaseLostError({ lease: this.name, owner: this.owner }));
      return open(async (transaction, ...rest) => {
        await this.#leases.assert(this.name, this.owner, transaction);
        return work(transaction, ...rest);
      }).catch((error: unknown) => {
        if (isHindsightError(error, 'LEASE_LOST')) this.lost();
        throw error;
      });
    };
    const fenced = <T>(work: (transaction: Tx) => Promise<T>): Promise<T> =>
      fence((inner: (transaction: Tx) => Promise<T>) => storage.transaction(inner), work);
    const { documents, appendFence } = storage;
    const overrides: { [Member in keyof EventStorage<Tx>]?: EventStorage<Tx>[Member] | undefined } = {
      transaction: fenced,
      saveCheckpoint: (consumerId, position, transaction) =>
        transaction === undefined
          ? fenced((tx) => storage.saveCheckpoint(consumerId, position, tx))
          : storage.saveCheckpoint(consumerId, position, transaction),
      documents: documents && fenceDocuments(documents, fenced),
      appendFence: appendFence && {
        transaction: (work) => fence((inner) => appendFence.transaction(inner), work),
      },
    };
    // Adapters keep state in private fields, so every other method runs bound to the adapter.
    return new Proxy(storage, {
      get(target, property) {
        if (Object.hasOwn(overrides, property)) return overrides[property as keyof EventStorage<Tx>];
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#heartbeat = setInterval(
      () => {
        this.#renewal ??= this.#renew().finally(() => {
          this.#renewal = undefined;
        });
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
    );
    // Renewing must not keep the process alive on its own.
    this.#heartbeat.unref?.();
  }

  async #renew(): Promise<void> {
    if (!this.#held) return;
    try {
      if (await this.#leases.acquire(this.name, this.owner, this.ttlMs)) this.#renewedAt = Date.now();
      else this.lost();
    } catch {
      // Unsure whether it still holds: past the ttl it must assume not (the fence guards commits).
      if (Date.now() - this.#renewedAt >= this.ttlMs) this.lost();
    }
  }
}

/**
 * The documents of a fenced storage: reads pass through; a write outside a transaction runs in a
 * fenced one, a write inside one relies on that transaction's fence.
 */
function fenceDocuments<Tx>(
  documents: DocumentStore<Tx>,
  fenced: <T>(work: (transaction: Tx) => Promise<T>) => Promise<T>,
): DocumentStore<Tx> {
  return {
    get: (collection, key, transaction) => documents.get(collection, key, transaction),
    list: (collection, query, transaction) => documents.list(collection, query, transaction),
    put: (collection, key, value, transaction) =>
      transaction === undefined
        ? fenced((tx) => documents.put(collection, key, value, tx))
        : documents.put(collection, key, value, transaction),
    delete: (collection, key, transaction) =>
      transaction === undefined
        ? fenced((tx) => documents.delete(collection, key, tx))
        : documents.delete(collection, key, transaction),
  };
}
