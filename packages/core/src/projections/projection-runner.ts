import { HindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type { EventSchemas } from '../events/event-catalog.js';
import type { Instrumentation } from '../instrumentation/instrumentation.js';
import { requireDocuments } from '../internal/documents.js';
import { EventReader } from '../streams/event-reader.js';
import type { EventStorage, HeldLog } from '../streams/event-storage.js';
import type { ReadableStore } from '../streams/event-store.js';
import {
  type Consumer,
  type ConsumerOptions,
  ConsumerRunner,
  type ConsumerStatus,
} from '../subscriptions/consumer-runner.js';
import { createConsumerRunner, type RunnerHandle } from '../subscriptions/partitioned-consumer.js';
import { partitionCheckpointId, partitionOf } from '../subscriptions/partitions.js';
import type { ProjectionDefinition } from './define-projection.js';
import {
  liveVersions,
  projectionCheckpointId,
  projectionRebuilds,
  readActiveVersion,
} from './projection-versions.js';

/**
 * The parts of a projection definition a runner uses.
 *
 * @example
 * ```ts
 * const runnable: RunnableProjection<InMemoryTransaction> = OrderSummaries;
 * ```
 */
export type RunnableProjection<Tx> = Pick<
  ProjectionDefinition<string, EventSchemas, Tx>,
  'name' | 'streamTypes' | 'types' | 'handlePage' | 'reset' | 'activate'
>;

/**
 * How far a rebuild is.
 *
 * @example
 * ```ts
 * await runner.rebuild({ onProgress: ({ version, position, head, events }) => log(version, position, head, events) });
 * ```
 */
export interface RebuildProgress {
  /** The version being built. */
  readonly version: number;
  /** The global position handled last. */
  readonly position: number;
  /** The head position as last read. */
  readonly head: number;
  /** Events applied so far. */
  readonly events: number;
}

/**
 * Options of a rebuild.
 *
 * @example
 * ```ts
 * await runner.rebuild({ streamId: 'Order-o1' });
 * ```
 */
export interface RebuildOptions extends ConsumerOptions {
  /**
   * Replay only this stream, in place, into the live version: the reset hook gets `streamId` to
   * clear that stream's part, then its events are applied again, all in one transaction.
   */
  readonly streamId?: string;
  /** Called after each page of events the rebuild applied. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /**
   * Cancels the rebuild: it stops after the event in hand and rejects with `CONSUMER_STOPPED`.
   * The version it was filling keeps its checkpoint, and the next rebuild resumes it there.
   */
  readonly signal?: AbortSignal;
  /**
   * Start the new version from scratch even if an interrupted rebuild left one half filled
   * (default false: resume it from its checkpoint).
   */
  readonly restart?: boolean;
}

/**
 * What a rebuild did.
 *
 * @example
 * ```ts
 * const { version, previousVersion, events } = await runner.rebuild();
 * ```
 */
export interface RebuildResult {
  /** The version now live. */
  readonly version: number;
  /** The version live before (equal to `version` for a one-stream replay). */
  readonly previousVersion: number;
  /** Events applied (by this call: a resumed rebuild counts from where it resumed). */
  readonly events: number;
  /** True when this call continued a rebuild interrupted earlier rather than starting over. */
  readonly resumed: boolean;
}

/**
 * An async projection: a consumer applying events to the live read-model version, each event's
 * effect and checkpoint in one storage transaction (exactly once).
 *
 * @example
 * ```ts
 * const runner: ProjectionRunner = createProjectionRunner(store, OrderSummaries);
 * ```
 */
export interface ProjectionRunner extends Consumer {
  /** The read-model version readers should query. */
  activeVersion(): Promise<number>;
  /**
   * Rebuilds without downtime: fills version n+1 from the beginning beside the live version n
   * (handlers see `replaying: true`), then catches up the last events and switches in one
   * transaction, and follows the log on n+1. With `streamId`, replays one stream in place instead.
   *
   * @example
   * ```ts
   * const { version } = await runner.rebuild({ onProgress: ({ position, head }) => log(position, head) });
   * ```
   */
  rebuild(options?: RebuildOptions): Promise<RebuildResult>;
}

/**
 * Runs a projection asynchronously, after commit, from its checkpoint.
 *
 * @example
 * ```ts
 * const runner = createProjectionRunner(store, OrderSummaries);
 * await runner.start();
 * ```
 */
export function createProjectionRunner<Tx>(
  store: ReadableStore<Tx>,
  projection: RunnableProjection<Tx>,
  options: ConsumerOptions = {},
): ProjectionRunner {
  return new AsyncProjectionRunner(
    store.storage,
    store.reader ?? EventReader.raw,
    projection,
    options,
    store.instrumentation,
  );
}

/**
 * Rebuilds a projection that no runner of this process follows, e.g. an inline one: fills a new
 * version beside the live one, then switches in one transaction (appends keep updating the live
 * version until then). With `streamId`, replays that one stream in place.
 *
 * @example
 * ```ts
 * await rebuildProjection(store, OrderSummaries);
 * ```
 */
export function rebuildProjection<Tx>(
  store: ReadableStore<Tx>,
  projection: RunnableProjection<Tx>,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const { storage } = store;
  const reader = store.reader ?? EventReader.raw;
  if (options.streamId === undefined) {
    return rebuildVersion(storage, reader, projection, options, async () => {});
  }
  const { streamId } = options;
  return readActiveVersion(storage, projection.name).then((version) =>
    replayStream(storage, reader, projection, streamId, version, undefined),
  );
}

class AsyncProjectionRunner<Tx> implements ProjectionRunner {
  readonly name: string;
  readonly #storage: EventStorage<Tx>;
  readonly #reader: EventReader;
  readonly #projection: RunnableProjection<Tx>;
  readonly #options: ConsumerOptions;
  readonly #instrumentation: Instrumentation | undefined;
  #live: Live | undefined;
  #started = false;
  #following = false;

  constructor(
    storage: EventStorage<Tx>,
    reader: EventReader,
    projection: RunnableProjection<Tx>,
    options: ConsumerOptions,
    instrumentation: Instrumentation | undefined,
  ) {
    this.name = projection.name;
    this.#instrumentation = instrumentation;
    this.#storage = storage;
    this.#reader = reader;
    this.#projection = projection;
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#started = true;
    await (await this.#current()).runner.start();
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#live?.runner.stop();
  }

  async status(): Promise<ConsumerStatus> {
    return (await this.#current()).runner.status();
  }

  async waitUntilCaughtUp(): Promise<void> {
    await (await this.#current()).runner.waitUntilCaughtUp();
  }

  activeVersion(): Promise<number> {
    return readActiveVersion(this.#storage, this.name);
  }

  async rebuild(options: RebuildOptions = {}): Promise<RebuildResult> {
    const { streamId } = options;
    if (streamId !== undefined) {
      const { runner, version } = await this.#current();
      // Between two live events, so the checkpoint read is exactly what the read model holds.
      return runner.exclusive(async () => {
        // Partitioned: the stream's own partition says how far the read model holds it.
        const base = projectionCheckpointId(this.name, version);
        const { partitions } = this.#options;
        const upTo =
          (partitions === undefined
            ? undefined
            : await this.#storage.loadCheckpoint(
                partitionCheckpointId(base, partitionOf(streamId, partitions), partitions),
              )) ??
          (await this.#storage.loadCheckpoint(base)) ??
          0;
        return replayStream(this.#storage, this.#reader, this.#projection, streamId, version, upTo);
      });
    }
    const merged = { ...this.#options, ...options };
    try {
      // The live version is served until the switch; only its updates pause for the final catch-up.
      return await rebuildVersion(this.#storage, this.#reader, this.#projection, merged, () =>
        this.#live?.runner.stop(),
      );
    } finally {
      await this.#live?.runner.stop();
      this.#live = undefined;
      if (this.#started) await this.start();
    }
  }

  async #current(): Promise<Live> {
    if (this.#live !== undefined) return this.#live;
    const version = await readActiveVersion(this.#storage, this.name);
    this.#live ??= this.#runnerFor(version);
    return this.#live;
  }

  #runnerFor(version: number): Live {
    const projection = this.#projection;
    // A rebuild elsewhere may have made another version live: this runner then hands over to
    // one on that version. Checked in each page's transaction, and before each read for a
    // runner with nothing to handle (a standby that just took the lease over, say).
    const current = async (transaction?: Tx): Promise<boolean> => {
      if ((await readActiveVersion(this.#storage, this.name, transaction)) === version) return true;
      this.#follow(live);
      return false;
    };
    // A page's transaction that just found this version live answers for the next read too: a
    // catch-up checks once per page, not twice.
    let checkedInPage = false;
    const live: Live = {
      version,
      runner: createConsumerRunner(
        this.#storage,
        {
          name: this.name,
          checkpointId: projectionCheckpointId(this.name, version),
          types: projection.types,
          streamTypes: projection.streamTypes,
          reader: this.#reader,
          instrumentation: this.#instrumentation,
        },
        {
          delivery: 'exactly-once',
          applyPage: (events, { transaction }) =>
            projection.handlePage(events, { transaction, replaying: false, version }),
          isCurrent: async (transaction) => {
            checkedInPage = await current(transaction);
            return checkedInPage;
          },
          beforeRead: async () => {
            if (checkedInPage) checkedInPage = false;
            else await current();
          },
        },
        this.#options,
      ),
    };
    return live;
  }

  /** Replaces `live` with a runner on the version now active, without waiting in its loop. */
  #follow(live: Live): void {
    if (this.#live !== live || this.#following) return;
    this.#following = true;
    const restart = async (): Promise<void> => {
      await live.runner.stop();
      if (this.#live === live) this.#live = undefined;
      this.#following = false;
      if (this.#started) await this.start();
    };
    // Not awaited: stop() waits for the loop this is called from. A failed start shows in status.
    restart().catch(() => {
      this.#following = false;
    });
  }
}

interface Live {
  readonly runner: RunnerHandle<unknown>;
  readonly version: number;
}

/** Rejects once `signal` aborts; never settles otherwise. */
function abortion(signal: AbortSignal | undefined, name: string): Promise<never> {
  return new Promise((_, reject) => {
    const cancel = () =>
      reject(new HindsightError('CONSUMER_STOPPED', `The rebuild of projection "${name}" was cancelled`));
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

async function rebuildVersion<Tx>(
  storage: EventStorage<Tx>,
  reader: EventReader,
  projection: RunnableProjection<Tx>,
  options: RebuildOptions,
  beforeSwitch: () => Promise<void> | undefined,
): Promise<RebuildResult> {
  const { name, types, streamTypes } = projection;
  const documents = requireDocuments(storage, `Rebuilding projection "${name}"`);
  const previousVersion = await readActiveVersion(storage, name);
  // An interrupted rebuild (cancelled, crashed) left its version and checkpoint: continue there.
  const pending = (await documents.get(projectionRebuilds, name))?.value as { version?: unknown } | undefined;
  const resumed =
    options.restart !== true && typeof pending?.version === 'number' && pending.version > previousVersion;
  const version = resumed ? (pending?.version as number) : previousVersion + 1;
  const checkpointId = projectionCheckpointId(name, version);
  if (!resumed) {
    await storage.transaction(async (transaction) => {
      await projection.reset({ transaction, version, streamId: undefined });
      await storage.saveCheckpoint(checkpointId, 0, transaction);
      await documents.put(projectionRebuilds, name, { version }, transaction);
    });
  }
  let events = 0;
  let counted = 0;
  let head = await storage.headPosition();
  const report = async (position: number): Promise<void> => {
    if (options.onProgress === undefined) return;
    if (position > head) head = await storage.headPosition();
    options.onProgress({ version, position, head, events });
  };
  // The shadow is the ordinary consumer loop on its own checkpoint: resumable and retried alike,
  // and leased, so two processes never fill the same version at once.
  const shadow = new ConsumerRunner(
    storage,
    { name: `${name} (rebuilding v${version})`, checkpointId, types, streamTypes, reader },
    {
      delivery: 'exactly-once',
      applyPage: (page, { transaction }) =>
        projection.handlePage(page, { transaction, replaying: true, version }),
      async afterCommit(page) {
        const last = page.at(-1);
        // Counted once, though a failed report is retried after the commit.
        if (last === undefined || last.position <= counted) return;
        counted = last.position;
        events += page.length;
        await report(last.position);
      },
    },
    options,
  );
  await shadow.start();
  try {
    await Promise.race([shadow.waitUntilCaughtUp(), abortion(options.signal, name)]);
  } finally {
    await shadow.stop();
  }
  await beforeSwitch();
  const batchSize = options.batchSize ?? 100;
  // Read before the switch's transaction: the shadow that moved it has stopped, and a read from
  // outside an open transaction would wait for it on a single-connection store (SQLite in memory).
  const filled = (await storage.loadCheckpoint(checkpointId)) ?? 0;
  const switchOver = async (transaction: Tx, log: HeldLog): Promise<number> => {
    // Appends are held back here (by the one write lock in memory and SQLite; on PostgreSQL by
    // the position lock taken exclusively), so nothing commits between this last read and the switch:
    // every event is in the new version, and appends after it read the new version as live.
    let position = filled;
    const upTo = await log.headPosition();
    for (;;) {
      const page = await reader.globalPage(log, {
        after: position,
        upTo,
        limit: batchSize,
        types,
        streamTypes,
      });
      if (page.events.length > 0) {
        await projection.handlePage(page.events, { transaction, replaying: true, version });
        events += page.events.length;
      }
      if (page.exhausted || page.last === undefined) break;
      position = page.last;
    }
    await storage.saveCheckpoint(checkpointId, upTo, transaction);
    await documents.put(liveVersions, name, { version }, transaction);
    await documents.delete(projectionRebuilds, name, transaction);
    await projection.activate({ transaction, version, previousVersion });
    return upTo;
  };
  const finalHead =
    storage.appendFence === undefined
      ? await storage.transaction((transaction) => switchOver(transaction, storage))
      : await storage.appendFence.transaction(switchOver);
  options.onProgress?.({ version, position: finalHead, head: finalHead, events });
  return { version, previousVersion, events, resumed };
}

/** Events of one stream handed to the projection at once when it is replayed. */
const replayPageSize = 100;

async function replayStream<Tx>(
  storage: EventStorage<Tx>,
  reader: EventReader,
  projection: RunnableProjection<Tx>,
  streamId: string,
  version: number,
  upTo: number | undefined,
): Promise<RebuildResult> {
  const events = await storage.transaction(async (transaction) => {
    await projection.reset({ transaction, version, streamId });
    let applied = 0;
    let page: StoredEvent[] = [];
    const flush = async (): Promise<void> => {
      if (page.length === 0) return;
      await projection.handlePage(page, { transaction, replaying: true, version });
      page = [];
    };
    for await (const event of reader.readStream(storage, streamId)) {
      if (upTo !== undefined && event.position > upTo) break;
      if (!projection.types.includes(event.type) || !projection.streamTypes.includes(event.streamType))
        continue;
      page.push(event);
      applied += 1;
      if (page.length === replayPageSize) await flush();
    }
    await flush();
    return applied;
  });
  return { version, previousVersion: version, events, resumed: false };
}
