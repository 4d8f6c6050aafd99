import {
  type AggregateDefinition,
  createEventStore,
  type EventStore,
  isHindsightError,
  type LoadOptions,
  listDeadLetters,
  type StoredEvent,
  type StreamInfo,
} from '@hindsight/core';
import { aggregateIdOf, aggregateState, locateAggregate } from '../internal/aggregate-state.js';
import { CliError, usageError } from '../internal/cli-error.js';
import { reportConsumers } from '../internal/consumer-report.js';
import { eventToJson } from '../internal/event-json.js';
import type { OpenedStore } from '../internal/open-store.js';
import { listStreamPage, summarizeStore } from '../internal/store-queries.js';
import { streamStatusOf } from '../internal/stream-status.js';
import type { LogQuery, StateQuery, StreamEventsQuery, StreamsQuery } from './query-schemas.js';

// As the commands read: bounded memory per round trip however large the page asked for.
const readPageSize = 500;

/**
 * What the explorer's JSON API answers, over an open store, read-only: one method per route,
 * taking parameters the server has validated already (see `query-schemas.ts`). Stream ids arrive
 * percent-decoded and may hold any character; failures are {@link CliError}s whose `code` the
 * server turns into an HTTP status.
 *
 * @example
 * ```ts
 * const api = new ExplorerApi(opened, aggregates);
 * const page = await api.streams({ prefix: 'Order-', limit: 50 });
 * ```
 */
export class ExplorerApi {
  readonly #opened: OpenedStore;
  readonly #aggregates: readonly AggregateDefinition[] | undefined;
  // With the config's aggregates, events read in their current shape (upcast); not validated, so
  // one stored event that no longer fits cannot hide a stream (`hindsight check` reports it).
  readonly #events: EventStore;
  // Folds state with the config's definitions (and their upcasters), as `hindsight state` does.
  readonly #aggregateStore: EventStore | undefined;

  /** `aggregates`: the config's, or undefined when there is none (`/api/state` then says so). */
  constructor(opened: OpenedStore, aggregates: readonly AggregateDefinition[] | undefined) {
    this.#opened = opened;
    this.#aggregates = aggregates;
    this.#events = createEventStore({
      storage: opened.storage,
      events: aggregates ?? [],
      validateOnRead: false,
    });
    this.#aggregateStore =
      aggregates === undefined
        ? undefined
        : createEventStore({ storage: opened.storage, events: aggregates });
  }

  async info(): Promise<unknown> {
    const summary = await summarizeStore(this.#opened);
    return {
      ...summary,
      aggregates: (this.#aggregates ?? []).map(({ name, streamType }) => ({ name, streamType })),
    };
  }

  /** Every consumer the store knows, as `hindsight consumers --json` prints them. */
  consumers(): Promise<unknown> {
    return reportConsumers(this.#opened);
  }

  /** A listener's dead letters, as `hindsight dead-letters --json` prints them. */
  deadLetters(listener: string): Promise<unknown> {
    return listDeadLetters(this.#opened, listener);
  }

  /**
   * A page of streams by id. With `prefix`, only ids that start with it: they sit together in id
   * order, from the id equal to the prefix (looked up on its own, since `after` excludes) onwards.
   */
  async streams(query: StreamsQuery): Promise<unknown> {
    const { type: streamType, prefix, limit } = query;
    const storage = this.#opened.storage;
    const matches = (stream: StreamInfo): boolean =>
      (prefix === undefined || stream.streamId.startsWith(prefix)) &&
      (streamType === undefined || stream.streamType === streamType);
    const found: StreamInfo[] = [];
    let after = query.after;
    if (prefix !== undefined && (after === undefined || after < prefix)) {
      const exact = await storage.streamInfo(prefix);
      if (exact !== undefined && matches(exact)) found.push(exact);
      after = prefix;
    }
    // One more than asked tells whether there is a next page.
    const page = await listStreamPage(
      storage,
      {
        limit: limit + 1 - found.length,
        ...(after === undefined ? {} : { after }),
        ...(streamType === undefined ? {} : { streamType }),
      },
      'the explorer',
    );
    for (const stream of page) {
      if (!matches(stream)) break;
      found.push(stream);
    }
    const streams = found.slice(0, limit);
    // Each with its status (open, closed, deleted, how much archived), shown as badges.
    const withStatus = await Promise.all(
      streams.map(async (stream) => ({ ...stream, ...(await streamStatusOf(storage, stream.streamId)) })),
    );
    return { streams: withStatus, next: found.length > limit ? (streams.at(-1)?.streamId ?? null) : null };
  }

  /** A page of one stream's events, from `fromVersion` on. */
  async streamEvents(streamId: string, query: StreamEventsQuery): Promise<unknown> {
    nonEmpty('streamId', streamId);
    const { fromVersion, toVersion, until, limit } = query;
    const stream = await this.#events.streamInfo(streamId);
    if (stream === undefined) {
      throw new CliError(`no stream "${streamId}" in ${this.#opened.description}`, {
        code: 'STREAM_NOT_FOUND',
      });
    }
    const read = this.#events.readStream(streamId, {
      ...(fromVersion === undefined ? {} : { fromVersion }),
      ...(toVersion === undefined ? {} : { toVersion }),
      ...(until === undefined ? {} : { until }),
      pageSize: Math.min(limit + 1, readPageSize),
    });
    const { events, extra } = await takePage(read, limit);
    const status = await streamStatusOf(this.#opened.storage, streamId);
    return {
      stream: { ...stream, ...status },
      aggregate: this.#aggregateOf(stream.streamType, streamId),
      events: await this.#withFit(events),
      next: extra?.version ?? null,
    };
  }

  /** A page of the global log after a position, filtered by event and stream types. */
  async log(query: LogQuery): Promise<unknown> {
    const { after = 0, limit, type: types, streamType: streamTypes } = query;
    // Every position up to the head read now is visible, as `hindsight events` relies on too.
    const head = await this.#opened.storage.headPosition();
    const read = this.#events.readAll({
      after,
      upTo: head,
      ...(types === undefined ? {} : { types }),
      ...(streamTypes === undefined ? {} : { streamTypes }),
      pageSize: Math.min(limit + 1, readPageSize),
    });
    const { events, extra } = await takePage(read, limit);
    return {
      head,
      events: await this.#withFit(events),
      next: extra === undefined ? null : (events.at(-1)?.position ?? null),
    };
  }

  /** An aggregate's state now, at a version or as of an instant, folded with the config's definition. */
  async state(name: string, id: string, query: StateQuery): Promise<unknown> {
    nonEmpty('aggregate', name);
    nonEmpty('id', id);
    const { atVersion, asOf } = query;
    if (this.#aggregates === undefined || this.#aggregateStore === undefined) {
      throw new CliError(
        'the explorer has no aggregates: start it with --config <module>, a module exporting `aggregates`',
        { code: 'CONFIG_MISSING' },
      );
    }
    const located = await locateAggregate(this.#aggregateStore, this.#aggregates, {
      name,
      id,
      atVersion: atVersion === undefined ? undefined : { name: 'atVersion', value: atVersion },
    });
    const options: LoadOptions = {
      ...(atVersion === undefined ? {} : { atVersion }),
      ...(asOf === undefined ? {} : { asOf }),
    };
    return aggregateState(located, options);
  }

  /**
   * The events as JSON, each that does not fit its current schema marked `invalid` (field path and
   * message): the page still shows them, but never an upcast `NaN` as if it were data. An event read
   * here is already in its current shape, so validating means decoding it again through the gate,
   * which leaves a current event as it is and checks it.
   */
  async #withFit(events: readonly StoredEvent[]): Promise<unknown[]> {
    const reader = this.#aggregateStore?.reader;
    return Promise.all(
      events.map(async (event) => {
        const json = eventToJson(event);
        if (reader === undefined) return json;
        try {
          await reader.decode([event], { validate: true });
          return json;
        } catch (error) {
          if (!isHindsightError(error, 'STORED_EVENT_INVALID')) throw error;
          const message = error.issues[0]?.message ?? error.message;
          return { ...json, invalid: { path: error.path, message } };
        }
      }),
    );
  }

  /** The aggregate instance a listed stream holds, when the config knows its stream type. */
  #aggregateOf(streamType: string, streamId: string): { name: string; id: string } | null {
    for (const definition of this.#aggregates ?? []) {
      if (definition.streamType !== streamType) continue;
      const id = aggregateIdOf(definition, streamId);
      if (id !== undefined) return { name: definition.name, id };
    }
    return null;
  }
}

/**
 * The first `limit` events, and the one after them if there is one (then there is a next page).
 * The parts of a split stored event share its position and version, and the next page starts after
 * them: they all go on this page, even past `limit`.
 */
async function takePage(
  events: AsyncIterable<StoredEvent>,
  limit: number,
): Promise<{ events: StoredEvent[]; extra: StoredEvent | undefined }> {
  const page: StoredEvent[] = [];
  for await (const event of events) {
    if (page.length >= limit && event.position !== page.at(-1)?.position)
      return { events: page, extra: event };
    page.push(event);
  }
  return { events: page, extra: undefined };
}

function nonEmpty(name: string, value: string): string {
  if (value === '') throw usageError(`${name} must not be empty`);
  return value;
}
