import { createRepository } from '../aggregates/aggregate-repository.js';
import { EventCycleError, type FailedEventRef } from '../errors/consumer-errors.js';
import {
  type CommandRejectedError,
  InvalidArgumentError,
  isHindsightError,
  UnknownCommandError,
} from '../errors/hindsight-error.js';
import type { EventMetadata, StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas } from '../events/event-catalog.js';
import { findNonJson, joinPath } from '../internal/checks.js';
import { deterministicUuid } from '../internal/deterministic-id.js';
import { documentPages, requireDocuments, sortableNumber } from '../internal/documents.js';
import { EventReader } from '../streams/event-reader.js';
import type { EventStorage } from '../streams/event-storage.js';
import type { EventStore } from '../streams/event-store.js';
import { consumerCheckpointId } from '../subscriptions/checkpoint-id.js';
import {
  type Consumer,
  type ConsumerOptions,
  consumerOf,
  eventRef,
  type HookContext,
} from '../subscriptions/consumer-runner.js';
import { createConsumerRunner } from '../subscriptions/partitioned-consumer.js';
import { partitionOf } from '../subscriptions/partitions.js';
import type {
  CommandRejection,
  CommandTarget,
  ProcessContext,
  ProcessDefinition,
  ScheduleOptions,
} from './define-process.js';

/**
 * A command a process manager has issued and not yet sent: due now (sent right after its step) or
 * a deadline due later.
 *
 * @example
 * ```ts
 * for (const command of await manager.scheduled()) console.log(command.deadline, command.dueAt);
 * ```
 */
export interface ScheduledCommand {
  /** The correlation key of the instance that issued it. */
  readonly instance: string;
  /** The deadline's name; undefined for a command sent right after its step. */
  readonly deadline: string | undefined;
  readonly dueAt: Date;
  readonly aggregate: string;
  readonly id: string;
  readonly command: string;
  readonly input: unknown;
  /** The event whose step issued it. */
  readonly trigger: FailedEventRef;
}

/**
 * Options of {@link createProcessManager}.
 *
 * @example
 * ```ts
 * createProcessManager(store, Fulfilment, { maxCausationDepth: 10, onCommandRejected: (error) => log(error.reason) });
 * ```
 */
export interface ProcessManagerOptions extends ConsumerOptions {
  /**
   * The longest causation chain a command may extend (default 32): an event whose chain is this
   * deep makes the step fail with `EventCycleError` instead of feeding a loop forever.
   */
  readonly maxCausationDepth?: number;
  /**
   * Hears about commands their aggregate refused (e.g. a deadline cancelling an order paid in the
   * meantime). A refusal is a business outcome, not a fault: the command is dropped and the
   * process goes on. To react to it in the process (compensate, complete), give the definition an
   * `onRejected` step; this hook is for logs and metrics, called after that step committed.
   */
  readonly onCommandRejected?: (error: CommandRejectedError, command: ScheduledCommand) => void;
}

/**
 * A running process manager: a consumer that also sends its scheduled commands.
 *
 * @example
 * ```ts
 * const manager: ProcessManager<{ paid: boolean }> = createProcessManager(store, Fulfilment);
 * ```
 */
export interface ProcessManager<State> extends Consumer {
  /**
   * Sends the commands due by the clock now; returns how many were sent. The running loop does
   * this by itself; call it to drive deadlines in tests with an injected clock. It sends every
   * instance's, whichever partition holds it: with partitions shared by several processes, leave
   * sending to the loop.
   *
   * @example
   * ```ts
   * now = new Date(now.getTime() + 31 * 60_000);
   * await manager.dispatchDue();
   * ```
   */
  dispatchDue(): Promise<number>;
  /**
   * Commands issued and not yet sent (deadlines first by due time).
   *
   * @example
   * ```ts
   * const pending = await manager.scheduled();
   * ```
   */
  scheduled(): Promise<ScheduledCommand[]>;
  /**
   * The stored state of one instance, or undefined (never started, or completed).
   *
   * @example
   * ```ts
   * const state = await manager.state('Order-o1');
   * ```
   */
  state(key: string): Promise<State | undefined>;
}

interface InstanceRecord {
  readonly state: unknown;
  /** Deadline name → key of its outbox entry. */
  readonly deadlines: Readonly<Record<string, string>>;
}

interface OutboxEntry {
  readonly instance: string;
  readonly deadline?: string;
  readonly dueAt: string;
  readonly aggregate: string;
  readonly id: string;
  readonly command: string;
  readonly input: unknown;
  readonly metadata: EventMetadata;
  /** Seed of the deterministic ids of the events the command emits. */
  readonly idSeed: string;
  readonly trigger: FailedEventRef;
}

/** Where a step's commands come from: their trigger, metadata, id seed and outbox key index. */
interface StepOrigin {
  readonly trigger: FailedEventRef;
  readonly metadata: EventMetadata;
  readonly idSeed: string;
  readonly indexPrefix: string;
}

const immediately = new Date(0).toISOString();
const defaultMaxCausationDepth = 32;

/**
 * Runs a process manager. Each event is handled once: the step's new state, its commands (in an
 * outbox) and the checkpoint commit in one transaction; the commands are then sent with event ids
 * derived from the process name, the triggering event and the command's index, so sending again
 * after a crash appends nothing twice. Commands carry the triggering event's correlation id and
 * have it as causation id.
 *
 * @example
 * ```ts
 * const manager = createProcessManager(store, Fulfilment, { clock: () => new Date() });
 * await manager.start();
 * ```
 */
export function createProcessManager<
  Name extends string,
  Schemas extends EventSchemas,
  State,
  Targets extends readonly CommandTarget[],
  Tx,
>(
  store: EventStore<readonly EventCatalog[], Tx>,
  definition: ProcessDefinition<Name, Schemas, State, Targets>,
  options: ProcessManagerOptions = {},
): ProcessManager<State> {
  const { name } = definition;
  const runner = createConsumerRunner(
    store.storage,
    {
      name,
      checkpointId: consumerCheckpointId('process', name),
      types: definition.types,
      streamTypes: definition.streamTypes,
      reader: store.reader,
      instrumentation: store.instrumentation,
      // An instance's events span streams: partitions go by its key, so one partition steps it.
      partitionKey: instanceKeyOf,
    },
    {
      // A page's steps (state, outbox) commit with the checkpoint; a later event of the same
      // instance sees the state the earlier one left. Their commands go out after the commit.
      delivery: 'exactly-once',
      async applyPage(events, { transaction }) {
        for (const event of events) await step(event, transaction);
      },
      afterCommit: (_events, context) => dispatchDue(context).then(() => undefined),
      beforeRead: (context) => dispatchDue(context),
      msUntilDue: (context) => msUntilDue(context),
    },
    options,
  );
  // Steps commit in the runner's fenced transactions; sends go through the fenced storage their
  // runner (or partition) hands over, so both happen only while its lease is held.
  const documents = requireDocuments(runner.storage, `Process manager "${name}"`);
  const instances = `hindsight.process:${name}`;
  const outbox = `hindsight.process-outbox:${name}`;
  const clock = options.clock ?? (() => new Date());
  const maxDepth = options.maxCausationDepth ?? defaultMaxCausationDepth;
  const targets = new Map<string, { readonly definition: CommandTarget; repository?: AnyRepository }>(
    definition.targets.map((target) => [target.name, { definition: target }]),
  );

  const repositoryFor = (aggregate: string) => {
    const target = targets.get(aggregate);
    if (target === undefined) {
      throw new InvalidArgumentError({
        argument: `command target of process "${name}"`,
        value: aggregate,
        problem: `is not in its \`to\` list (${[...targets.keys()].join(', ')})`,
      });
    }
    // `to` holds aggregate definitions; CommandTarget names only the part the typing needs.
    target.repository ??= createRepository(store, target.definition as never) as unknown as AnyRepository;
    return { definition: target.definition, repository: target.repository };
  };

  /** The instance an event steps; a key that throws routes by stream, and its step names the event. */
  function instanceKeyOf(event: StoredEvent): string {
    try {
      return definition.stepFor(event.type)?.key(event) ?? event.streamId;
    } catch {
      return event.streamId;
    }
  }

  async function step(event: StoredEvent, transaction: Tx): Promise<void> {
    // The runner reads only the types and stream types the definition has steps for.
    const handler = definition.stepFor(event.type);
    if (handler === undefined) return;
    const key = handler.key(event);
    const stored = await documents.get(instances, key, transaction);
    const instance = (stored?.value as InstanceRecord | undefined) ?? {
      state: definition.initialState(),
      deadlines: {},
    };
    const origin: StepOrigin = {
      trigger: eventRef(event),
      metadata: causedBy(event),
      idSeed: `${name}/${event.eventId}`,
      indexPrefix: '',
    };
    await applyStep(
      key,
      instance,
      origin,
      (state, context) => handler.handle(state, event, context),
      transaction,
    );
  }

  /**
   * Runs one step of instance `key` (an event's, or a rejection's) and stores what it did: the new
   * state or the completion, its commands in the outbox, its cancelled deadlines.
   */
  async function applyStep(
    key: string,
    instance: InstanceRecord,
    origin: StepOrigin,
    run: (state: State, context: ProcessContext<Targets>) => State | Promise<State>,
    transaction: Tx,
  ): Promise<void> {
    const issued: { readonly entry: Omit<OutboxEntry, 'idSeed'>; readonly index: number }[] = [];
    const cancelled: string[] = [];
    let completed = false;
    const now = clock();
    const { metadata, trigger } = origin;
    const context: ProcessContext<Targets> = {
      key,
      now,
      execute(aggregate, id, command, input, schedule?: ScheduleOptions) {
        checkCommand(name, aggregate, command, input);
        const dueAt = schedule === undefined ? immediately : dueDate(schedule, now).toISOString();
        issued.push({
          index: issued.length,
          entry: {
            instance: key,
            ...(schedule === undefined ? {} : { deadline: schedule.deadline }),
            dueAt,
            aggregate: aggregate.name,
            id,
            command,
            input: input as unknown,
            metadata,
            trigger,
          },
        });
      },
      cancelDeadline: (deadline) => void cancelled.push(deadline),
      complete: () => {
        completed = true;
      },
    };
    const state = await run(instance.state as State, context);
    if (issued.length > 0 && Number(metadata.causationDepth) > maxDepth) {
      throw new EventCycleError({
        consumer: name,
        eventId: trigger.eventId,
        streamId: trigger.streamId,
        depth: Number(metadata.causationDepth),
        limit: maxDepth,
      });
    }
    const deadlines: Record<string, string> = { ...instance.deadlines };
    const cancel = async (deadline: string) => {
      const entryKey = deadlines[deadline];
      if (entryKey === undefined) return;
      await documents.delete(outbox, entryKey, transaction);
      delete deadlines[deadline];
    };
    for (const deadline of cancelled) await cancel(deadline);
    for (const { entry, index } of issued) {
      const entryKey = `${entry.dueAt}|${sortableNumber(trigger.position)}|${origin.indexPrefix}${sortableNumber(index)}`;
      if (entry.deadline !== undefined) {
        await cancel(entry.deadline);
        deadlines[entry.deadline] = entryKey;
      }
      const idSeed = `${origin.idSeed}/${index}`;
      await documents.put(outbox, entryKey, { ...entry, idSeed } satisfies OutboxEntry, transaction);
    }
    if (completed) {
      for (const deadline of Object.keys(deadlines)) await cancel(deadline);
      await documents.delete(instances, key, transaction);
    } else {
      checkState(name, key, state);
      await documents.put(instances, key, { state, deadlines } satisfies InstanceRecord, transaction);
    }
  }

  /** The rejection step of the instance that sent the refused command in `entry` (outbox `key`). */
  async function rejectionStep(
    key: string,
    entry: OutboxEntry,
    error: CommandRejectedError,
    instance: InstanceRecord,
    transaction: Tx,
  ): Promise<void> {
    const handler = definition.rejectionStep;
    if (handler === undefined) return;
    const rejection = {
      aggregate: entry.aggregate,
      id: entry.id,
      streamId: error.streamId,
      command: entry.command,
      input: entry.input,
      reason: error.reason,
      message: error.message,
      deadline: entry.deadline,
      trigger: entry.trigger,
    } as CommandRejection<Targets>;
    const depth = typeof entry.metadata.causationDepth === 'number' ? entry.metadata.causationDepth : 0;
    const origin: StepOrigin = {
      trigger: entry.trigger,
      // Compensations extend the chain, so refusals feeding refusals end in EVENT_CYCLE.
      metadata: { ...entry.metadata, causationDepth: depth + 1 },
      idSeed: `${entry.idSeed}/rejected`,
      // Under the refused entry's own index, so the compensations' outbox keys stay unique.
      indexPrefix: `${key.split('|').slice(2).join('|')}/`,
    };
    await applyStep(
      entry.instance,
      instance,
      origin,
      (state, context) => handler(state, rejection, context),
      transaction,
    );
  }

  function causedBy(event: StoredEvent): EventMetadata {
    const depth = typeof event.metadata.causationDepth === 'number' ? event.metadata.causationDepth : 0;
    const { actorId, tenantId } = event.metadata;
    return {
      ...(actorId === undefined ? {} : { actorId }),
      ...(tenantId === undefined ? {} : { tenantId }),
      correlationId: event.metadata.correlationId ?? event.eventId,
      causationId: event.eventId,
      causationDepth: depth + 1,
    };
  }

  /** Whether the instance of an outbox entry is this runner's to send: its partition's, if any. */
  function owns(context: HookContext<Tx>, entry: OutboxEntry): boolean {
    const { partition } = context;
    return partition === undefined || partitionOf(entry.instance, partition.count) === partition.index;
  }

  async function dispatchDue(context: HookContext<Tx>): Promise<number> {
    const outboxDocuments = requireDocuments(context.storage, `Process manager "${name}"`);
    let sent = 0;
    for (;;) {
      let compensated = false;
      const due = documentPages(outboxDocuments, outbox, {
        upTo: `${clock().toISOString()}|~`,
        pageSize: 50,
      });
      for await (const page of due) {
        for (const { key, value } of page) {
          const entry = value as OutboxEntry;
          if (!owns(context, entry)) continue;
          if (await send(key, entry, context.storage)) compensated = true;
          sent += 1;
        }
      }
      // A rejection step queues its compensations: they go now, not at the next poll. Refusals
      // feeding refusals end, since each extends the causation chain (EVENT_CYCLE).
      if (!compensated) return sent;
    }
  }

  /** Sends one outbox entry; true when it was refused and the process's rejection step ran. */
  async function send(key: string, entry: OutboxEntry, storage: EventStorage<Tx>): Promise<boolean> {
    const outboxDocuments = requireDocuments(storage, `Process manager "${name}"`);
    const { definition: target, repository } = repositoryFor(entry.aggregate);
    let rejection: CommandRejectedError | undefined;
    try {
      await repository.execute(entry.id, entry.command, entry.input, {
        metadata: entry.metadata,
        eventIds: (index) => deterministicUuid(`${entry.idSeed}/${index}`),
      });
    } catch (error) {
      const refused = isHindsightError(error, 'COMMAND_REJECTED');
      // Sent before a crash, the command may now be refused (state moved on) or decide other
      // events under the same ids: if its events are in the stream, it was sent; nothing to do.
      if (!(refused || isHindsightError(error, 'EVENT_ID_CONFLICT'))) throw error;
      if (!(await alreadySent(target.streamIdOf(entry.id), entry))) {
        if (!refused) throw error;
        rejection = error;
      }
    }
    // Dropping the entry and the rejection step commit together: the step runs once per refusal.
    await storage.transaction(async (transaction) => {
      await outboxDocuments.delete(outbox, key, transaction);
      if (entry.deadline === undefined && rejection === undefined) return;
      const stored = await outboxDocuments.get(instances, entry.instance, transaction);
      let instance = stored?.value as InstanceRecord | undefined;
      if (instance === undefined) return;
      if (entry.deadline !== undefined && instance.deadlines[entry.deadline] === key) {
        const { [entry.deadline]: _fired, ...deadlines } = instance.deadlines;
        instance = { ...instance, deadlines };
        await outboxDocuments.put(instances, entry.instance, instance, transaction);
      }
      if (rejection !== undefined) await rejectionStep(key, entry, rejection, instance, transaction);
    });
    if (rejection !== undefined) options.onCommandRejected?.(rejection, toScheduled(entry));
    return rejection !== undefined && definition.rejectionStep !== undefined;
  }

  /** Looks for the command's first event id among the stream's events after its trigger. */
  async function alreadySent(streamId: string, entry: OutboxEntry): Promise<boolean> {
    const firstId = await deterministicUuid(`${entry.idSeed}/0`);
    let maxVersion: number | undefined;
    for (;;) {
      // Only ids and positions matter here: read as stored, so a stored event that no longer fits
      // its schema cannot stop a command from being sent.
      const page = await EventReader.raw.streamPage(runner.storage, streamId, {
        direction: 'backward',
        ...(maxVersion === undefined ? {} : { maxVersion }),
        limit: 100,
      });
      for (const event of page.events) {
        if (event.eventId === firstId) return true;
        if (event.position <= entry.trigger.position) return false;
      }
      if (page.exhausted || page.last === undefined) return false;
      maxVersion = page.last - 1;
    }
  }

  /** Until this runner's next outbox entry is due; another partition's entries are not its wake-up. */
  async function msUntilDue(context: HookContext<Tx>): Promise<number | undefined> {
    for await (const page of documentPages(documents, outbox, { pageSize: 100 })) {
      const next = page.find(({ value }) => owns(context, value as OutboxEntry));
      if (next !== undefined) return Date.parse((next.value as OutboxEntry).dueAt) - clock().getTime();
    }
    return undefined;
  }

  return {
    ...consumerOf(runner),
    dispatchDue: () => runner.exclusive(() => dispatchDue({ storage: runner.storage, partition: undefined })),
    async scheduled(): Promise<ScheduledCommand[]> {
      const commands: ScheduledCommand[] = [];
      for await (const page of documentPages(documents, outbox, { pageSize: 100 })) {
        commands.push(...page.map(({ value }) => toScheduled(value as OutboxEntry)));
      }
      return commands;
    },
    async state(key: string): Promise<State | undefined> {
      const stored = await documents.get(instances, key);
      return (stored?.value as InstanceRecord | undefined)?.state as State | undefined;
    },
  };
}

/** The one repository call a process manager makes, with the command named at run time. */
interface AnyRepository {
  execute(
    id: string,
    command: string,
    input: unknown,
    options: { metadata: EventMetadata; eventIds: (index: number) => Promise<string> },
  ): Promise<unknown>;
}

export function checkCommand(
  process: string,
  aggregate: CommandTarget,
  command: string,
  input: unknown,
): void {
  if (!Object.hasOwn(aggregate.commands, command)) {
    throw new UnknownCommandError({
      aggregate: aggregate.name,
      command,
      known: Object.keys(aggregate.commands),
    });
  }
  const problem = input === undefined ? undefined : findNonJson(input, new Set());
  if (problem !== undefined) {
    throw new InvalidArgumentError({
      argument: `input of ${aggregate.name}.${command} issued by process "${process}" at "${joinPath(problem.path)}"`,
      value: '',
      problem: `${problem.reason} (commands are stored until sent)`,
    });
  }
}

function checkState(process: string, key: string, state: unknown): void {
  const problem = findNonJson(state, new Set());
  if (problem !== undefined) {
    throw new InvalidArgumentError({
      argument: `state of process "${process}" instance "${key}" at "${joinPath(problem.path)}"`,
      value: '',
      problem: `${problem.reason} (process state is stored)`,
    });
  }
}

export function dueDate(schedule: ScheduleOptions, now: Date): Date {
  const due = schedule.at ?? new Date(now.getTime() + (schedule.afterMs ?? 0));
  if (Number.isNaN(due.getTime())) {
    throw new InvalidArgumentError({
      argument: `deadline "${schedule.deadline}"`,
      value: due,
      problem: 'is not a valid time',
    });
  }
  return due;
}

function toScheduled(entry: OutboxEntry): ScheduledCommand {
  return {
    instance: entry.instance,
    deadline: entry.deadline,
    dueAt: new Date(entry.dueAt),
    aggregate: entry.aggregate,
    id: entry.id,
    command: entry.command,
    input: entry.input,
    trigger: entry.trigger,
  };
}
