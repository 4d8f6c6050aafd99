import {
  CommandRejectedError,
  InvalidArgumentError,
  isHindsightError,
  RetriesExhaustedError,
  StreamTypeMismatchError,
  UnknownCommandError,
  UnknownEventTypeError,
} from '../errors/hindsight-error.js';
import { StreamDeletedError } from '../errors/stream-lifecycle-errors.js';
import type { EventMetadata, NewEvent, StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas, StoredEventOf } from '../events/event-catalog.js';
import type { ActiveSpan } from '../instrumentation/instrumentation.js';
import { checkStreamId, checkVersion, findNonJson, joinPath } from '../internal/checks.js';
import { KeyedMutex } from '../internal/keyed-mutex.js';
import { crossesSnapshotInterval } from '../snapshots/snapshot-policy.js';
import type { ExpectedVersion, PreparedEvent } from '../streams/event-storage.js';
import type { EventStore } from '../streams/event-store.js';
import { streamDeletedType } from '../streams/stream-lifecycle.js';
import type {
  AggregateDefinition,
  CommandContext,
  CommandHandler,
  CommandInput,
  EvolvingEvent,
} from './define-aggregate.js';

/** Events per read while loading: a long stream in fewer round trips, memory still bounded. */
const loadPageSize = 1000;

/**
 * Per storage, the writers of this process queued on or holding each stream's lock after a
 * conflict. While a stream has any, new commands on it queue behind them: racing unlocked, a
 * stream of fresh commands could beat the lock holder at every attempt until it gave up.
 */
const queuedWriters = new WeakMap<object, Map<string, number>>();

/** An aggregate's state at some version. */
export interface LoadedAggregate<State> {
  readonly id: string;
  readonly streamId: string;
  /** 0 when the aggregate has no events (yet, or at the requested time). */
  readonly version: number;
  readonly state: State;
}

/** Where in an aggregate's past to load it. Without options: now. */
export interface LoadOptions {
  /** The state right after this version. */
  readonly atVersion?: number;
  /** The state as of this instant (events recorded at or before it). */
  readonly asOf?: Date;
}

/** Options of one `execute`. */
export interface ExecuteOptions {
  /**
   * Append only if the stream is at this version. Given explicitly, a conflict is not retried:
   * it is thrown as `ConcurrencyError`, since the caller decided on a state that is gone.
   */
  readonly expectedVersion?: ExpectedVersion;
  /** Merged into every event the commands emit (correlation, causation, actor, …). */
  readonly metadata?: EventMetadata;
  /**
   * Attempts on concurrency conflicts; overrides the repository's. After a first conflict, the
   * remaining attempts hold the stream's lock (as with `lockStream`), so contended writers queue. `false`: one attempt, and a
   * conflict is thrown as the `ConcurrencyError` itself.
   */
  readonly retry?: RetryOptions | false;
  /**
   * Holds the stream's lock from load to append, for hot streams whose writers would otherwise
   * conflict and retry a lot: they queue instead. Across processes where the storage has stream
   * locks (PostgreSQL), within this process otherwise. Overrides the repository's `lockStream`.
   */
  readonly lockStream?: boolean;
  /**
   * Ids for the emitted events, by index (0, 1, … across all commands of the call), for events
   * whose command set none. Deterministic ids make re-executing after a crash idempotent: an
   * append whose ids are already stored is a no-op, and the result is the stream's current state
   * with the events stored the first time (process managers use this).
   */
  readonly eventIds?: (index: number) => string | Promise<string>;
}

/** Bounded retry on concurrency conflicts. */
export interface RetryOptions {
  /** Total attempts, including the first (default 5). */
  readonly attempts: number;
}

/** What executing commands did. */
export interface ExecuteResult<State, Event> extends LoadedAggregate<State> {
  /** The events appended (empty when the commands emitted none; the stored ones on a retry by id). */
  readonly events: readonly Event[];
}

/** One step of an aggregate's history: an event and the state right after it. */
export interface HistoryEntry<State, Event> {
  readonly event: Event;
  readonly state: State;
}

type ArgsOf<Handler> =
  undefined extends CommandInput<Handler> ? [input?: CommandInput<Handler>] : [input: CommandInput<Handler>];

/** Records several commands to run on one loaded aggregate and append together. */
export type CommandChain<Commands> = {
  readonly [Name in keyof Commands]: (...args: ArgsOf<Commands[Name]>) => CommandChain<Commands>;
};

type AnyAggregate = AggregateDefinition<
  string,
  EventSchemas,
  unknown,
  Readonly<Record<string, CommandHandler<unknown, EventSchemas>>>
>;

/** Loads aggregates (now or in the past) and executes their commands with optimistic concurrency. */
export interface AggregateRepository<
  Schemas extends EventSchemas,
  State,
  Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>>,
> {
  /**
   * The aggregate's state now, at a version or as of an instant (time travel).
   *
   * @example
   * ```ts
   * const { state, version } = await orders.load('o1', { atVersion: 2 });
   * ```
   */
  load(id: string, options?: LoadOptions): Promise<LoadedAggregate<State>>;
  /**
   * Load → decide → append; on a concurrency conflict reload and decide again (bounded).
   *
   * @example
   * ```ts
   * await orders.execute('o1', 'pay', { paymentId: 'p1' });
   * await orders.execute('o2', (order) => order.create({ items, total: 5 }).pay({ paymentId: 'p2' }));
   * ```
   */
  execute<Name extends keyof Commands & string>(
    id: string,
    command: Name,
    input: CommandInput<Commands[Name]>,
    options?: ExecuteOptions,
  ): Promise<ExecuteResult<State, StoredEventOf<Schemas>>>;
  execute(
    id: string,
    commands: (chain: CommandChain<Commands>) => unknown,
    options?: ExecuteOptions,
  ): Promise<ExecuteResult<State, StoredEventOf<Schemas>>>;
  /** Every event of the aggregate with the state right after it, oldest first (streamed). */
  history(id: string, options?: LoadOptions): AsyncIterable<HistoryEntry<State, StoredEventOf<Schemas>>>;
}

/** Options of {@link createRepository}. */
export interface RepositoryOptions {
  /** Default retry of `execute` on concurrency conflicts (default 5 attempts). */
  readonly retry?: RetryOptions;
  /**
   * Saving a snapshot happens after the append succeeded; if it fails, the command still
   * succeeded and the next load just reads more events. This hears about such failures.
   */
  readonly onSnapshotError?: (error: unknown, streamId: string) => void;
  /** Default of `ExecuteOptions.lockStream` (default false: optimistic concurrency and retry). */
  readonly lockStream?: boolean;
}

/** One execute call as its attempts share it. */
interface Run {
  readonly options: ExecuteOptions;
  readonly attempts: number;
  readonly span: ActiveSpan;
}

interface CommandCall {
  readonly name: string;
  readonly input: unknown;
}

const defaultAttempts = 5;

/** Full jitter, doubling up to 50 ms: writers that just collided spread out instead of colliding again. */
function backOff(attempt: number): Promise<void> {
  const ceiling = Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Binds an aggregate definition to a store.
 *
 * @example
 * ```ts
 * const orders = createRepository(store, Order);
 * const { state } = await orders.execute('o1', 'create', { items, total: 25 });
 * ```
 */
export function createRepository<
  Name extends string,
  Schemas extends EventSchemas,
  State,
  Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>>,
  Tx,
>(
  store: EventStore<readonly EventCatalog[], Tx>,
  definition: AggregateDefinition<Name, Schemas, State, Commands>,
  options: RepositoryOptions = {},
): AggregateRepository<Schemas, State, Commands> {
  // A store accepts only the stream types it was told about: a repository must not widen that.
  if (!store.knows(definition)) {
    throw new InvalidArgumentError({
      argument: 'aggregate',
      value: definition.name,
      problem: `is not among the store's event types: list it in createEventStore({ events: [${definition.name}, …] }) or call store.register(${definition.name}) first`,
    });
  }
  const aggregate = definition as unknown as AnyAggregate;
  const defaultRetry = options.retry?.attempts ?? defaultAttempts;
  // Hot-stream writers of this repository, for storages without cross-process stream locks.
  const localStreamLocks = new KeyedMutex();
  const streamQueues = queuedWriters.get(store.storage) ?? new Map<string, number>();
  queuedWriters.set(store.storage, streamQueues);
  checkVersion('retry.attempts', defaultRetry, 1);

  const apply = (state: unknown, streamId: string, event: EvolvingEvent): unknown => {
    const evolve = Object.hasOwn(aggregate.evolve, event.type) ? aggregate.evolve[event.type] : undefined;
    // A deleted stream's tombstone: the aggregate is gone, not of an unknown shape.
    if (evolve === undefined && event.type === streamDeletedType) throw new StreamDeletedError({ streamId });
    if (evolve === undefined) {
      throw new UnknownEventTypeError({
        streamId,
        streamType: aggregate.streamType,
        eventType: event.type,
        known: Object.keys(aggregate.evolve),
      });
    }
    return evolve(state, event as never);
  };

  // The stream id alone cannot tell: an empty id still makes a valid one ("Account-").
  const checkId = (id: unknown): void => {
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError({
        argument: `${aggregate.name} id`,
        value: id,
        problem: 'must be a non-empty string',
      });
    }
  };

  /**
   * Where a fold starts: the initial state, or the stream's snapshot where one of the current
   * state shape exists. `stale` is set when a snapshot was found but ignored because its shape
   * version is not the policy's: the caller may then take it again.
   */
  async function begin(
    id: string,
    loadOptions: LoadOptions,
    useSnapshot: boolean,
    stale: { found: boolean } = { found: false },
  ): Promise<{ streamId: string; state: unknown; version: number }> {
    checkId(id);
    const streamId = aggregate.streamIdOf(id);
    checkStreamId(streamId);
    if (loadOptions.atVersion !== undefined) checkVersion('atVersion', loadOptions.atVersion, 0);
    const policy = aggregate.snapshotPolicy;
    if (useSnapshot && policy !== undefined && loadOptions.asOf === undefined) {
      const snapshot = await store.storage.loadSnapshot(streamId);
      const current = snapshot !== undefined && snapshot.schemaVersion === (policy.schemaVersion ?? 1);
      stale.found = snapshot !== undefined && !current;
      if (
        snapshot !== undefined &&
        current &&
        snapshot.streamType === aggregate.streamType &&
        (loadOptions.atVersion === undefined || snapshot.version <= loadOptions.atVersion)
      ) {
        const state = policy.decode === undefined ? snapshot.state : policy.decode(snapshot.state);
        return { streamId, state, version: snapshot.version };
      }
    }
    return { streamId, state: aggregate.initialState(), version: 0 };
  }

  /** The stream's events after `version`, a page at a time: a fold awaits per page, not per event. */
  async function* eventPages(streamId: string, version: number, loadOptions: LoadOptions) {
    if (loadOptions.atVersion === 0) return;
    yield* store.reader.streamPages(store.storage, streamId, {
      pageSize: loadPageSize,
      fromVersion: version + 1,
      ...(loadOptions.atVersion === undefined ? {} : { toVersion: loadOptions.atVersion }),
      ...(loadOptions.asOf === undefined ? {} : { until: loadOptions.asOf }),
    });
  }

  /** {@link apply} for a stored event, which must be of this aggregate's stream type. */
  const fold = (state: unknown, event: StoredEvent): unknown => {
    if (event.streamType !== aggregate.streamType) {
      throw new StreamTypeMismatchError({
        streamId: event.streamId,
        expectedType: aggregate.streamType,
        actualType: event.streamType,
      });
    }
    return apply(state, event.streamId, event);
  };

  async function load(id: string, loadOptions: LoadOptions = {}): Promise<LoadedAggregate<unknown>> {
    const stale = { found: false };
    let { streamId, state, version } = await begin(id, loadOptions, true, stale);
    for await (const events of eventPages(streamId, version, loadOptions)) {
      for (const event of events) {
        state = fold(state, event);
        version = event.version;
      }
    }
    // A snapshot of an older state shape is rebuilt from the events just folded, so the next load
    // starts from a snapshot again instead of replaying the whole stream until the next interval.
    if (stale.found && loadOptions.atVersion === undefined && loadOptions.asOf === undefined) {
      await saveSnapshot(streamId, 0, version, state, true);
    }
    return { id, streamId, version, state };
  }

  async function decide(
    loaded: LoadedAggregate<unknown>,
    calls: readonly CommandCall[],
    metadata: EventMetadata | undefined,
    eventIds: ExecuteOptions['eventIds'],
  ) {
    let state = loaded.state;
    const pending: PreparedEvent[] = [];
    for (const call of calls) {
      const handler = Object.hasOwn(aggregate.commands, call.name)
        ? aggregate.commands[call.name]
        : undefined;
      if (handler === undefined) {
        throw new UnknownCommandError({
          aggregate: aggregate.name,
          command: call.name,
          known: Object.keys(aggregate.commands),
        });
      }
      const context: CommandContext = {
        id: loaded.id,
        streamId: loaded.streamId,
        version: loaded.version + pending.length,
        reject(reason, message) {
          throw new CommandRejectedError({
            aggregate: aggregate.name,
            streamId: loaded.streamId,
            command: call.name,
            reason,
            message: message ?? reason,
          });
        },
      };
      const emitted = handler(state, call.input, context);
      let events = (Array.isArray(emitted) ? emitted : [emitted]) as NewEvent[];
      if (eventIds !== undefined) {
        const first = pending.length;
        events = await Promise.all(
          events.map(async (event, index) => ({
            ...event,
            eventId: event.eventId ?? (await eventIds(first + index)),
          })),
        );
      }
      const prepared = await store.prepare(loaded.streamId, aggregate.streamType, events as never, metadata);
      for (const event of prepared) {
        state = apply(state, loaded.streamId, event);
        pending.push(event);
      }
    }
    return { state, pending };
  }

  async function saveSnapshot(
    streamId: string,
    fromVersion: number,
    toVersion: number,
    state: unknown,
    retake = false,
  ) {
    const policy = aggregate.snapshotPolicy;
    if (policy === undefined) return;
    if (!(retake || crossesSnapshotInterval(policy.every, fromVersion, toVersion))) return;
    try {
      const encoded = policy.encode === undefined ? state : policy.encode(state);
      const problem = findNonJson(encoded, new Set());
      if (problem !== undefined) {
        throw new InvalidArgumentError({
          argument: `${aggregate.name} snapshot state at "${joinPath(problem.path)}"`,
          value: '',
          problem: `${problem.reason}; give the snapshot policy an encode/decode pair`,
        });
      }
      await store.storage.saveSnapshot({
        streamId,
        streamType: aggregate.streamType,
        version: toVersion,
        schemaVersion: policy.schemaVersion ?? 1,
        state: encoded,
        timestamp: new Date(),
      });
    } catch (error) {
      options.onSnapshotError?.(error, streamId);
    }
  }

  async function execute(
    id: string,
    commandOrChain: string | ((chain: Record<string, (input?: unknown) => unknown>) => unknown),
    inputOrOptions?: unknown,
    maybeOptions?: ExecuteOptions,
  ): Promise<ExecuteResult<unknown, StoredEvent>> {
    checkId(id);
    const calls: CommandCall[] = [];
    let executeOptions: ExecuteOptions;
    if (typeof commandOrChain === 'function') {
      executeOptions = (inputOrOptions as ExecuteOptions | undefined) ?? {};
      const chain: Record<string, (input?: unknown) => unknown> = new Proxy(
        {},
        {
          get: (_target, name) => (input?: unknown) => {
            calls.push({ name: String(name), input });
            return chain;
          },
        },
      );
      commandOrChain(chain);
    } else {
      executeOptions = maybeOptions ?? {};
      calls.push({ name: commandOrChain, input: inputOrOptions });
    }
    const explicitVersion = executeOptions.expectedVersion;
    const attempts =
      explicitVersion !== undefined || executeOptions.retry === false
        ? 1
        : (executeOptions.retry?.attempts ?? defaultRetry);
    checkVersion('retry.attempts', attempts, 1);
    const { instrumentation } = store;
    return instrumentation.span(
      'hindsight.execute',
      {
        attributes: {
          'hindsight.aggregate': aggregate.name,
          'hindsight.aggregate_id': id,
          'hindsight.commands': calls.map((call) => call.name).join(','),
        },
      },
      (span) => {
        // The events link back to this span, not to the load or decide span they are prepared in.
        const trace = instrumentation.traceContext();
        const traced: ExecuteOptions =
          trace === undefined || executeOptions.metadata?.traceparent !== undefined
            ? executeOptions
            : { ...executeOptions, metadata: { ...trace, ...executeOptions.metadata } };
        const run: Run = { options: traced, attempts, span };
        const queued = (streamQueues.get(aggregate.streamIdOf(id)) ?? 0) > 0;
        if (!(executeOptions.lockStream ?? options.lockStream ?? queued)) {
          return attemptExecute(id, calls, run, 1, false);
        }
        return withStreamLock(id, () => attemptExecute(id, calls, run, 1, true));
      },
    );
  }

  async function withStreamLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const streamId = aggregate.streamIdOf(id);
    checkStreamId(streamId);
    streamQueues.set(streamId, (streamQueues.get(streamId) ?? 0) + 1);
    try {
      const release = await (store.storage.streamLocks?.lock(streamId) ?? localStreamLocks.acquire(streamId));
      try {
        return await work();
      } finally {
        await release();
      }
    } finally {
      const left = (streamQueues.get(streamId) ?? 1) - 1;
      if (left === 0) streamQueues.delete(streamId);
      else streamQueues.set(streamId, left);
    }
  }

  async function attemptExecute(
    id: string,
    calls: readonly CommandCall[],
    run: Run,
    firstAttempt: number,
    locked: boolean,
  ): Promise<ExecuteResult<unknown, StoredEvent>> {
    const { options: executeOptions, attempts, span } = run;
    const { instrumentation } = store;
    const explicitVersion = executeOptions.expectedVersion;
    for (let attempt = firstAttempt; ; attempt += 1) {
      const loaded = await instrumentation.span('hindsight.load', {}, async (loadSpan) => {
        const result = await load(id);
        loadSpan.setAttributes({ 'hindsight.version': result.version });
        return result;
      });
      const { state, pending } = await instrumentation.span('hindsight.decide', {}, async (decideSpan) => {
        const decided = await decide(loaded, calls, executeOptions.metadata, executeOptions.eventIds);
        decideSpan.setAttributes({ 'hindsight.event_count': decided.pending.length });
        return decided;
      });
      span.setAttributes({ 'hindsight.attempts': attempt });
      if (pending.length === 0) return { ...loaded, events: [] };
      try {
        const result = await store.appendPrepared({
          streamId: loaded.streamId,
          streamType: aggregate.streamType,
          expectedVersion: explicitVersion ?? loaded.version,
          events: pending,
        });
        // A retry of an append already stored: the loaded state holds its events, and deciding
        // again on it would count them twice.
        if (result.alreadyStored) return { ...loaded, events: result.events };
        await saveSnapshot(loaded.streamId, loaded.version, result.version, state);
        return { id, streamId: loaded.streamId, version: result.version, state, events: result.events };
      } catch (error) {
        const retrying = explicitVersion === undefined && executeOptions.retry !== false;
        if (!isHindsightError(error, 'CONCURRENCY_CONFLICT') || !retrying) throw error;
        span.addEvent('hindsight.retry', {
          'hindsight.attempt': attempt,
          'hindsight.expected_version': loaded.version,
        });
        if (attempt >= attempts)
          throw new RetriesExhaustedError({ streamId: loaded.streamId, attempts, cause: error });
        // A conflict shows the stream is contended: the remaining attempts queue on its lock, so
        // that losers go one after another instead of colliding again (each retry round would
        // otherwise let only one of n writers win, and n writers would need n attempts).
        if (!locked) {
          const next = attempt + 1;
          return withStreamLock(id, () => attemptExecute(id, calls, run, next, true));
        }
        await backOff(attempt);
      }
    }
  }

  async function* history(id: string, loadOptions: LoadOptions = {}) {
    const begun = await begin(id, loadOptions, false);
    let { state } = begun;
    for await (const events of eventPages(begun.streamId, begun.version, loadOptions)) {
      for (const event of events) {
        state = fold(state, event);
        yield { event, state };
      }
    }
  }

  return { load, execute, history } as unknown as AggregateRepository<Schemas, State, Commands>;
}
