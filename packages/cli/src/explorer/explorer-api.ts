import {
  type AggregateDefinition,
  createEventStore,
  type EventStore,
  type LoadOptions,
  type StoredEvent,
} from '@hindsight/core';
import { aggregateIdOf, aggregateState, locateAggregate } from '../internal/aggregate-state.js';
import { CliError, usageError } from '../internal/cli-error.js';
import { eventToJson } from '../internal/event-json.js';
import type { OpenedStore } from '../internal/open-store.js';
import { listStreamPage, summarizeStore } from '../internal/store-queries.js';
import { QueryParameters } from './query-parameters.js';

const streamsPage = { fallback: 50, max: 500 };
const eventsPage = { fallback: 50, max: 500 };
const streamEventsPage = { fallback: 100, max: 1000 };
// As the commands read: bounded memory per round trip however large the page asked for.
const readPageSize = 500;

/**
 * The explorer's JSON API over an open store, read-only. Routes take path segments already
 * percent-decoded, so stream ids can hold any character; failures are {@link CliError}s whose
 * `code` the server turns into an HTTP status.
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

  /** Answers `GET /api/<route>`; the result is sent as JSON. */
  async answer(route: readonly string[], query: URLSearchParams): Promise<unknown> {
    const [resource, first, second, ...rest] = route;
    if (rest.length === 0) {
      if (resource === 'info' && first === undefined) {
        // It takes no parameters; a misspelt one is refused all the same.
        new QueryParameters(query, []);
        return this.#info();
      }
      if (resource === 'streams' && first === undefined) {
        return this.#streams(new QueryParameters(query, ['type', 'after', 'limit']));
      }
      if (resource === 'streams' && first !== undefined && second === 'events') {
        return this.#streamEvents(
          nonEmpty('streamId', first),
          new QueryParameters(query, ['fromVersion', 'toVersion', 'until', 'limit']),
        );
      }
      // The same with the id in the query: browsers and fetch resolve `.` and `..` path segments
      // (even percent-encoded) before sending, so those ids can only travel this way.
      if (resource === 'stream-events' && first === undefined) {
        const parameters = new QueryParameters(query, [
          'streamId',
          'fromVersion',
          'toVersion',
          'until',
          'limit',
        ]);
        return this.#streamEvents(nonEmpty('streamId', parameters.string('streamId') ?? ''), parameters);
      }
      if (resource === 'events' && first === undefined) {
        return this.#log(
          new QueryParameters(query, ['after', 'limit', 'type', 'streamType'], ['type', 'streamType']),
        );
      }
      if (resource === 'state' && first !== undefined && second !== undefined) {
        return this.#state(
          nonEmpty('aggregate', first),
          nonEmpty('id', second),
          new QueryParameters(query, ['atVersion', 'asOf']),
        );
      }
    }
    throw new CliError(`no API route /api/${route.join('/')}`, { code: 'ROUTE_NOT_FOUND' });
  }

  async #info(): Promise<unknown> {
    const summary = await summarizeStore(this.#opened);
    return {
      ...summary,
      aggregates: (this.#aggregates ?? []).map(({ name, streamType }) => ({ name, streamType })),
    };
  }

  async #streams(parameters: QueryParameters): Promise<unknown> {
    const streamType = parameters.string('type');
    const after = parameters.string('after');
    const limit = parameters.limit(streamsPage.fallback, streamsPage.max);
    // One more than asked tells whether there is a next page.
    const page = await listStreamPage(
      this.#opened.storage,
      {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(streamType === undefined ? {} : { streamType }),
      },
      'the explorer',
    );
    const streams = page.slice(0, limit);
    return { streams, next: page.length > limit ? (streams.at(-1)?.streamId ?? null) : null };
  }

  async #streamEvents(streamId: string, parameters: QueryParameters): Promise<unknown> {
    const fromVersion = parameters.wholeNumber('fromVersion', 1);
    const toVersion = parameters.wholeNumber('toVersion', 0);
    const until = parameters.instant('until');
    const limit = parameters.limit(streamEventsPage.fallback, streamEventsPage.max);
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
    return {
      stream,
      aggregate: this.#aggregateOf(stream.streamType, streamId),
      events: events.map(eventToJson),
      next: extra?.version ?? null,
    };
  }

  async #log(parameters: QueryParameters): Promise<unknown> {
    const after = parameters.wholeNumber('after', 0) ?? 0;
    const limit = parameters.limit(eventsPage.fallback, eventsPage.max);
    const types = parameters.list('type');
    const streamTypes = parameters.list('streamType');
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
      events: events.map(eventToJson),
      next: extra === undefined ? null : (events.at(-1)?.position ?? null),
    };
  }

  async #state(name: string, id: string, parameters: QueryParameters): Promise<unknown> {
    const atVersion = parameters.wholeNumber('atVersion', 0);
    const asOf = parameters.instant('asOf');
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
