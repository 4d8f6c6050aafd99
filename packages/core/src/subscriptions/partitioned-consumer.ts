import { HindsightError } from '../errors/hindsight-error.js';
import { EventReader } from '../streams/event-reader.js';
import type { EventStorage } from '../streams/event-storage.js';
import {
  type Consumer,
  type ConsumerKind,
  type ConsumerOptions,
  type ConsumerPartitionStatus,
  ConsumerRunner,
  type ConsumerState,
  type ConsumerStatus,
  type RunnerSpec,
} from './consumer-runner.js';
import {
  checkPartitionCount,
  checkPartitions,
  consumerMembers,
  partitionCheckpointId,
  partitionOwners,
} from './partitions.js';

/**
 * What every kind of consumer builds on: the consumer, the storage its own writes outside a page
 * go through, and a way to run work between two of the loop's steps.
 */
export interface RunnerHandle<Tx> extends Consumer {
  readonly storage: EventStorage<Tx>;
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The runner a kind asks for: one {@link ConsumerRunner}, or with `options.partitions` a
 * {@link PartitionedConsumer} of one runner per partition. Every kind gets partitions this way.
 */
export function createConsumerRunner<Tx>(
  storage: EventStorage<Tx>,
  spec: RunnerSpec,
  kind: ConsumerKind<Tx>,
  options: ConsumerOptions,
): RunnerHandle<Tx> {
  return options.partitions === undefined
    ? new ConsumerRunner(storage, spec, kind, options)
    : new PartitionedConsumer(storage, spec, kind, options);
}

const defaultTtlMs = 10_000;

/**
 * A consumer split into partitions, one {@link ConsumerRunner} each (its own checkpoint, lease and
 * fence), shared by the instances that run it with no coordinator but the storage: each instance
 * keeps a member document alive, reads the live members, runs the partitions that
 * {@link partitionOwners} gives it (an even share) and stops the others, which hands their leases
 * over at once. A member that
 * died stops renewing: its document and its partitions' leases lapse after `ttlMs`, and the
 * partitions go to the members left. Two instances never run one partition: the lease fences
 * every commit, as for an unpartitioned consumer.
 */
export class PartitionedConsumer<Tx> implements RunnerHandle<Tx> {
  readonly name: string;
  /** The storage unfenced: each partition's runner fences its own pages with its own lease. */
  readonly storage: EventStorage<Tx>;
  readonly #checkpointId: string;
  readonly #reader: EventReader;
  readonly #runners: readonly ConsumerRunner<Tx>[];
  readonly #owner: string;
  readonly #ttlMs: number;
  readonly #intervalMs: number;
  // Without leases (or with them turned off) there is nobody to share with: all run here.
  readonly #shared: boolean;
  readonly #assigned = new Set<number>();
  #started = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #balancing: Promise<void> = Promise.resolve();

  constructor(storage: EventStorage<Tx>, spec: RunnerSpec, kind: ConsumerKind<Tx>, options: ConsumerOptions) {
    const count = options.partitions ?? 1;
    checkPartitions(count);
    this.name = spec.name;
    this.storage = storage;
    this.#checkpointId = spec.checkpointId;
    this.#reader = spec.reader ?? EventReader.raw;
    const lease = options.lease;
    this.#owner =
      (lease === false ? undefined : lease?.owner) ?? `consumer-${globalThis.crypto.randomUUID()}`;
    this.#ttlMs = (lease === false ? undefined : lease?.ttlMs) ?? defaultTtlMs;
    this.#intervalMs = Math.max(10, Math.min(1_000, Math.floor(this.#ttlMs / 4)));
    this.#shared = lease !== false && storage.leases !== undefined && storage.documents !== undefined;
    const runnerOptions: ConsumerOptions = {
      ...options,
      lease: lease === false ? false : { ...lease, owner: this.#owner },
    };
    this.#runners = Array.from(
      { length: count },
      (_, index) =>
        new ConsumerRunner(
          storage,
          {
            ...spec,
            checkpointId: partitionCheckpointId(spec.checkpointId, index, count),
            partition: { index, count, baseCheckpointId: spec.checkpointId },
          },
          kind,
          runnerOptions,
        ),
    );
  }

  /**
   * Joins the instances running the consumer and starts this instance's share of partitions.
   * Called again while running, restarts the partitions of its share that failed.
   */
  async start(): Promise<void> {
    if (this.#started) {
      await Promise.all(
        [...this.#assigned].map((index) => {
          const runner = this.#runners[index];
          return runner?.state === 'failed' ? runner.start() : undefined;
        }),
      );
      return;
    }
    await checkPartitionCount(this.storage.documents, this.name, this.#checkpointId, this.#runners.length);
    this.#started = true;
    await this.#rebalance();
    if (!this.#shared) return;
    this.#timer = setInterval(() => {
      // A round that failed is only late: the next one tries again.
      this.#balancing = this.#balancing.then(() => this.#rebalance()).catch(() => undefined);
    }, this.#intervalMs);
    // Membership must not keep the process alive on its own.
    this.#timer.unref?.();
  }

  /** Stops every partition here (their leases go at once) and leaves the members. */
  async stop(): Promise<void> {
    this.#started = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#balancing;
    this.#assigned.clear();
    await Promise.all(this.#runners.map((runner) => runner.stop()));
    if (!this.#shared) return;
    try {
      await this.storage.documents?.delete(consumerMembers, this.#memberKey(this.#owner));
    } catch {
      // Unreachable storage: the member document lapses after ttlMs.
    }
  }

  async status(): Promise<ConsumerStatus> {
    let head = 0;
    try {
      head = await this.storage.headPosition();
    } catch {
      // Status answers during an outage too, from what the runners saw.
    }
    const local = await Promise.all(
      this.#runners.map((runner, index) => (this.#assigned.has(index) ? runner.status() : undefined)),
    );
    const partitions = await Promise.all(
      this.#runners.map((_, index) => this.#partitionStatus(index, local[index], head)),
    );
    const running = local.filter((status) => status !== undefined);
    const failed = running.find((status) => status.state === 'failed');
    const behind = partitions.reduce<ConsumerPartitionStatus | undefined>(
      (worst, partition) => (worst === undefined || partition.position < worst.position ? partition : worst),
      undefined,
    );
    const position = behind?.position ?? 0;
    head = Math.max(head, ...running.map((status) => status.head));
    let state: ConsumerState = 'running';
    if (!this.#started) state = 'stopped';
    else if (failed !== undefined) state = 'failed';
    else if (running.some((status) => status.state === 'catching_up')) state = 'catching_up';
    return {
      name: this.name,
      state,
      position,
      head,
      lag: {
        events: Math.max(0, head - position),
        ms: Math.max(0, ...partitions.map((partition) => partition.lag.ms)),
      },
      lastError: failed?.lastError ?? running.find((status) => status.lastError !== undefined)?.lastError,
      failure: failed?.failure,
      waitingFor: failed?.waitingFor ?? (this.#started ? { kind: 'new-events' } : { kind: 'nothing' }),
      handled: running.reduce((sum, status) => sum + status.handled, 0),
      lease: undefined,
      partitions,
    };
  }

  /**
   * Resolves when every partition, here or in another instance, has handled everything up to the
   * head as of this call. Rejects when a partition of this instance fails, or `CONSUMER_STOPPED`.
   */
  async waitUntilCaughtUp(): Promise<void> {
    const target = await this.storage.headPosition();
    for (;;) {
      if (!this.#started) throw this.#stoppedError();
      const positions = await Promise.all(
        this.#runners.map(async (runner, index) => {
          if (!this.#assigned.has(index)) return this.#storedPosition(index);
          if (runner.state === 'failed') throw (await runner.status()).lastError ?? this.#stoppedError();
          return runner.position;
        }),
      );
      if (positions.every((position) => position >= target)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Runs `work` between two steps of every partition running here. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#runners.reduceRight<() => Promise<T>>(
      (inner, runner) => () => runner.exclusive(inner),
      work,
    )();
  }

  /** Renews this member, reads the live ones, runs the partitions it wins and stops the rest. */
  async #rebalance(): Promise<void> {
    if (!this.#started) return;
    let members: readonly string[];
    try {
      members = this.#shared ? await this.#liveMembers() : [this.#owner];
    } catch {
      // Unreachable storage: keep the current share; the leases fence whatever changed meanwhile.
      return;
    }
    if (!this.#started) return;
    const owners = partitionOwners(members, this.#runners.length);
    const wanted = new Set(
      this.#runners.map((_, index) => index).filter((index) => owners[index] === this.#owner),
    );
    // Handing over first, so a partition moving to another member is free when it looks.
    await Promise.all(
      [...this.#assigned]
        .filter((index) => !wanted.has(index))
        .map((index) => {
          this.#assigned.delete(index);
          return this.#runners[index]?.stop();
        }),
    );
    await Promise.all(
      [...wanted]
        .filter((index) => !this.#assigned.has(index))
        .map(async (index) => {
          this.#assigned.add(index);
          try {
            // Stands by while the previous owner still holds the lease, and takes it once free.
            await this.#runners[index]?.start();
          } catch {
            // Unreachable storage: tried again at the next round.
            this.#assigned.delete(index);
          }
        }),
    );
  }

  async #liveMembers(): Promise<readonly string[]> {
    const documents = this.storage.documents;
    if (documents === undefined) return [this.#owner];
    const now = Date.now();
    await documents.put(consumerMembers, this.#memberKey(this.#owner), {
      owner: this.#owner,
      expiresAt: new Date(now + this.#ttlMs).toISOString(),
    });
    const prefix = this.#memberKey('');
    const listed = await documents.list(consumerMembers, {
      after: prefix,
      upTo: `${prefix}\uffff`,
      limit: 1_000,
    });
    const live = new Set([this.#owner]);
    for (const { key, value } of listed) {
      if (!key.startsWith(prefix)) continue;
      const { owner, expiresAt } = value as { owner?: unknown; expiresAt?: unknown };
      const until = Date.parse(String(expiresAt));
      if (typeof owner !== 'string') continue;
      if (until > now) live.add(owner);
      // Long dead (a crashed instance): tidy up, leaving a margin for a clock a little behind.
      else if (until + this.#ttlMs < now) await documents.delete(consumerMembers, key);
    }
    return [...live];
  }

  async #partitionStatus(
    index: number,
    local: ConsumerStatus | undefined,
    head: number,
  ): Promise<ConsumerPartitionStatus> {
    if (local !== undefined) {
      const owner = local.lease === undefined ? this.#owner : local.lease.holder;
      return { index, owner, local: true, position: local.position, lag: local.lag, state: local.state };
    }
    let owner: string | undefined;
    let position = 0;
    let ms = 0;
    const checkpointId = partitionCheckpointId(this.#checkpointId, index, this.#runners.length);
    try {
      const lease = await this.storage.leases?.read(checkpointId);
      owner = lease !== undefined && lease.expiresAt.getTime() > Date.now() ? lease.owner : undefined;
      position = await this.#storedPosition(index);
      if (position < head) {
        const page = await this.#reader.globalPage(this.storage, { after: position, upTo: head, limit: 1 });
        const next = page.events[0];
        if (next !== undefined) ms = Math.max(0, Date.now() - next.timestamp.getTime());
      }
    } catch {
      // Unreachable storage: what is known.
    }
    return {
      index,
      owner,
      local: false,
      position,
      lag: { events: Math.max(0, head - position), ms },
      state: 'stopped',
    };
  }

  async #storedPosition(index: number): Promise<number> {
    const checkpointId = partitionCheckpointId(this.#checkpointId, index, this.#runners.length);
    return (
      (await this.storage.loadCheckpoint(checkpointId)) ??
      (await this.storage.loadCheckpoint(this.#checkpointId)) ??
      0
    );
  }

  #memberKey(owner: string): string {
    return `${this.#checkpointId}/${owner}`;
  }

  #stoppedError(): HindsightError {
    return new HindsightError('CONSUMER_STOPPED', `Consumer "${this.name}" is stopped`);
  }
}
