import {
  type Consumer,
  type ConsumerOptions,
  type ConsumerStatus,
  createSubscription,
  type EventCatalog,
  type EventStore,
  InvalidArgumentError,
  type SchemasOf,
  type StartOptions,
  type StoredEvent,
  type StreamTypesOf,
} from '@hindsight/core';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { eventBody, eventMessageHeaders, forwardedPosition } from './event-message.js';
import { eventSubject, isValidSubjectPrefix } from './subjects.js';

/**
 * Options of {@link createNatsForwarder}.
 *
 * @example
 * ```ts
 * const options: NatsForwarderOptions<[typeof Order]> = { connection, stream: 'ORDERS', subjectPrefix: 'orders' };
 * ```
 */
export interface NatsForwarderOptions<Catalogs extends readonly EventCatalog[]>
  extends Omit<ConsumerOptions, 'partitions'>,
    StartOptions {
  /**
   * Refused (`INVALID_ARGUMENT`): the forwarder publishes the log in order, one event at a time,
   * from one instance; its lease hands the work to another instance when this one dies.
   */
  readonly partitions?: never;
  /** An open NATS connection (from `@nats-io/transport-node`, or any other transport). */
  readonly connection: NatsConnection;
  /**
   * The JetStream stream the events go to. It belongs to this forwarder alone: created on start
   * when missing, with the subjects `<subjectPrefix>.>`; an existing stream must hold only this
   * forwarder's messages, because its last message says how far forwarding got.
   */
  readonly stream: string;
  /** First tokens of every subject (default `'hindsight'`): `<prefix>.<streamType>.<eventType>`. */
  readonly subjectPrefix?: string;
  /** The consumer's name, its checkpoint and lease (default `nats:<stream>`). */
  readonly name?: string;
  /** Only these event types (default: all). */
  readonly types?: readonly (keyof SchemasOf<Catalogs> & string)[];
  /** Only events of streams of these types (default: all). */
  readonly streamTypes?: readonly StreamTypesOf<Catalogs>[];
  /**
   * Settings for the stream when the forwarder creates it (retention, storage, replicas,
   * `duplicate_window` in nanoseconds…). Name and subjects are the forwarder's.
   */
  readonly streamConfig?: Partial<Omit<StreamConfig, 'name' | 'subjects'>>;
  /** How long to wait for JetStream's acknowledgement of one event (default 5 s). */
  readonly publishTimeoutMs?: number;
}

/**
 * What the forwarder knows of its JetStream stream's end: the sequence of the last message and the
 * store position it carries. Unknown after a restart, a failed publish or a duplicate, until read again.
 */
interface StreamTail {
  readonly sequence: number;
  readonly position: number;
}

/**
 * Forwards the store's events, in global order, to a JetStream stream, for services that cannot
 * read the store (other languages, other teams). Each event is published once per event id, even
 * across crashes and fail-overs:
 * - one publish at a time, each acknowledged before the next, so per-stream order holds;
 * - each carries the event id as its message id (JetStream drops a repeat within the stream's
 *   duplicate window) and expects the stream's last sequence to be the one it saw last (a second
 *   forwarder's interleaved publish is refused instead of stored);
 * - on start and after any doubt, it reads the stream's last message and skips the events at or
 *   before the position that message carries, so a restart long after the duplicate window repeats
 *   nothing either.
 * It is a consumer like the others: a checkpoint, a lease (one active forwarder per name), status.
 * It takes no `partitions`: the last two rules hold only for one publisher walking the log in order.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 *
 * const connection = await connect({ servers: 'nats://127.0.0.1:4222' });
 * const forwarder = createNatsForwarder(store, { connection, stream: 'ORDERS', subjectPrefix: 'orders' });
 * await forwarder.start(); // OrderPaid of stream type Order goes to `orders.Order.OrderPaid`
 * ```
 */
export function createNatsForwarder<const Catalogs extends readonly EventCatalog[], Tx>(
  store: EventStore<Catalogs, Tx>,
  options: NatsForwarderOptions<Catalogs>,
): Consumer {
  const prefix = options.subjectPrefix ?? 'hindsight';
  if (!isValidSubjectPrefix(prefix)) {
    throw new InvalidArgumentError({
      argument: 'subjectPrefix',
      value: prefix,
      problem: 'a NATS subject prefix is tokens of letters, digits, _ and - separated by dots',
    });
  }
  if (!/^[^\s.*>/\\]+$/u.test(options.stream)) {
    throw new InvalidArgumentError({
      argument: 'stream',
      value: options.stream,
      problem: 'a JetStream stream name has no whitespace, dots, *, >, / or \\',
    });
  }
  if (options.partitions !== undefined) {
    // Partitions would publish concurrently, and the tail's position rule would then skip the
    // events of a partition that is behind another one: one forwarder walks the whole log in order.
    throw new InvalidArgumentError({
      argument: 'partitions',
      value: options.partitions,
      problem: `the forwarder to JetStream stream "${options.stream}" runs unpartitioned: it publishes the log in order, one event at a time`,
    });
  }
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const js: JetStreamClient = jetstream(options.connection);
  let tail: StreamTail | undefined;

  const forward = async (event: StoredEvent): Promise<void> => {
    tail ??= await readTail(await jetstreamManager(options.connection), options.stream, prefix);
    if (event.position <= tail.position) return;
    try {
      const ack = await js.publish(eventSubject(prefix, event.streamType, event.type), eventBody(event), {
        msgID: event.eventId,
        headers: eventMessageHeaders(event),
        timeout: publishTimeoutMs,
        expect: { streamName: options.stream, lastSequence: tail.sequence },
      });
      // A duplicate was stored before (a lost acknowledgement, or another forwarder): the end of the
      // stream is not known for sure any more, so it is read again before the next publish.
      tail = ack.duplicate ? undefined : { sequence: ack.seq, position: event.position };
    } catch (error) {
      tail = undefined;
      throw error;
    }
  };

  const subscription = createSubscription(store, {
    ...options,
    name: options.name ?? `nats:${options.stream}`,
    handle: (event) => forward(event),
  });

  return {
    name: subscription.name,
    async start(): Promise<void> {
      tail = undefined;
      await ensureStream(await jetstreamManager(options.connection), options, prefix);
      await subscription.start();
    },
    stop: (): Promise<void> => subscription.stop(),
    status: (): Promise<ConsumerStatus> => subscription.status(),
    waitUntilCaughtUp: (): Promise<void> => subscription.waitUntilCaughtUp(),
  };
}

async function ensureStream<Catalogs extends readonly EventCatalog[]>(
  manager: JetStreamManager,
  options: NatsForwarderOptions<Catalogs>,
  prefix: string,
): Promise<void> {
  const subjects = [`${prefix}.>`];
  const existing = await manager.streams.info(options.stream).catch((error: unknown) => {
    if (isStreamNotFound(error)) return undefined;
    throw error;
  });
  if (existing === undefined) {
    await manager.streams.add({ ...options.streamConfig, name: options.stream, subjects });
    return;
  }
  const actual = existing.config.subjects ?? [];
  if (actual.length !== 1 || actual[0] !== subjects[0]) {
    throw new InvalidArgumentError({
      argument: 'stream',
      value: options.stream,
      problem: `the JetStream stream has the subjects ${JSON.stringify(actual)}; the forwarder needs a stream of its own with exactly ${JSON.stringify(subjects)}`,
    });
  }
}

async function readTail(manager: JetStreamManager, stream: string, prefix: string): Promise<StreamTail> {
  const { state } = await manager.streams.info(stream);
  if (state.last_seq === 0 || state.messages === 0) return { sequence: state.last_seq, position: 0 };
  const last = await manager.streams.getMessage(stream, { seq: state.last_seq });
  const position = forwardedPosition(last?.header);
  if (last === null || position === undefined) {
    throw new InvalidArgumentError({
      argument: 'stream',
      value: stream,
      problem: `its last message (sequence ${state.last_seq}) was not published by a forwarder of "${prefix}": the stream must hold only this forwarder's events`,
    });
  }
  return { sequence: last.seq, position };
}

function isStreamNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: unknown }).code === 10059
  );
}
