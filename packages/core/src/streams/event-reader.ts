import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { checkDate, checkVersion } from '../internal/checks.js';
import { EventRegistry } from '../internal/event-registry.js';
import type { PersonalDataGuard } from '../personal/personal-data-guard.js';
import { partitionOf } from '../subscriptions/partitions.js';
import type { EventStorage, GlobalPageQuery, StreamPageQuery } from './event-storage.js';

/** Where a reader reads stored events from: a storage, a lease-guarded one, or a held log. */
export type EventSource = Pick<EventStorage<unknown>, 'readAll'> &
  Partial<Pick<EventStorage<unknown>, 'readStream' | 'partitionedReads'>>;

/**
 * One page of decoded events and where the stored page ended. Decoding may change how many events
 * a page holds (a split turns one into several, a type filter drops parts), so callers page on
 * `last` and `exhausted`, never on `events.length`.
 *
 * @example
 * ```ts
 * const page = await store.reader.globalPage(store.storage, { after: 0, limit: 100 });
 * const next = page.exhausted ? undefined : page.last;
 * ```
 */
export interface DecodedPage {
  readonly events: readonly StoredEvent[];
  /** The global position (or, for a stream, the version) of the last stored event read. */
  readonly last: number | undefined;
  /** True when the storage had no more events in range: the stored page was not full. */
  readonly exhausted: boolean;
}

/** Options of {@link EventReader.readStream}. */
export interface StreamReadOptions {
  readonly direction?: 'forward' | 'backward';
  /** Inclusive lower bound (default 1). */
  readonly fromVersion?: number;
  /** Inclusive upper bound (default: the last event). */
  readonly toVersion?: number;
  /** Only events recorded at or before this instant. */
  readonly until?: Date;
  /** Events fetched per round trip (default 500). */
  readonly pageSize?: number;
}

/** Options of {@link EventReader.readAll}. */
export interface LogReadOptions {
  /** Start after this global position (default 0). */
  readonly after?: number;
  /** Stop at this global position (inclusive). */
  readonly upTo?: number;
  readonly types?: readonly string[] | undefined;
  readonly streamTypes?: readonly string[] | undefined;
  /** Events fetched per round trip (default 500). */
  readonly pageSize?: number;
}

const defaultPageSize = 500;

/**
 * The read gate: every read of stored events (streams, the global log, aggregates and time travel,
 * consumers, rebuilds, process managers, the CLI and the explorer) passes through one reader, which
 * decodes each page once: decrypting personal fields (placeholders where the subject was
 * forgotten), upcasting to the current schema versions and, unless turned off, validating against
 * the current schemas. A store has one (`store.reader`).
 *
 * @example
 * ```ts
 * for await (const event of store.reader.readAll(store.storage, { types: ['OrderPaid'] })) {
 *   console.log(event.position, event.data);
 * }
 * ```
 */
export class EventReader {
  /** A reader without definitions: events read exactly as stored. */
  static readonly raw: EventReader = new EventReader(new EventRegistry([], 1), { validate: false });

  readonly #registry: EventRegistry;
  readonly #validate: boolean;
  readonly #personal: (() => PersonalDataGuard | undefined) | undefined;

  /** `personal`: the store's crypto-shredding, when its definitions declare personal data. */
  constructor(
    registry: EventRegistry,
    options: { readonly validate: boolean; readonly personal?: () => PersonalDataGuard | undefined },
  ) {
    this.#registry = registry;
    this.#validate = options.validate;
    this.#personal = options.personal;
  }

  /** Whether events are validated against their current schema on read. */
  get validates(): boolean {
    return this.#validate;
  }

  /**
   * Decodes stored events (decryption, upcasting, validation) as every read does; for tools such as
   * `checkEvents`, which validate whatever the store's setting (`validate: true`).
   */
  decode(
    events: readonly StoredEvent[],
    options: { readonly validate?: boolean } = {},
  ): Promise<readonly StoredEvent[]> {
    const validate = options.validate ?? this.#validate;
    const guard = this.#personal?.();
    // Decryption comes first: upcasters and schemas see plaintext (or Forgotten placeholders).
    if (guard === undefined) return this.#registry.decode(events, validate);
    return guard.decrypt(events).then((plain) => this.#registry.decode(plain, validate));
  }

  /** How the reader's definitions know an event: its stream type and type are declared, or not. */
  knows(event: Pick<StoredEvent, 'streamType' | 'type'>): 'known' | 'unknown-type' | 'unknown-stream-type' {
    return this.#registry.knows(event.streamType, event.type);
  }

  /** One decoded page of one stream. */
  async streamPage(
    source: Pick<EventStorage<unknown>, 'readStream'>,
    streamId: string,
    query: StreamPageQuery,
  ): Promise<DecodedPage> {
    const page = await source.readStream(streamId, query);
    return {
      events: await this.decode(page),
      last: page.at(-1)?.version,
      exhausted: page.length < query.limit,
    };
  }

  /**
   * One decoded page of the global log. A `types` filter is widened to the stored names that read
   * as those types (renamed and split types) and applied again after decoding. A `partition` goes
   * to a storage with `partitionedReads`, which returns only that partition's events; any other
   * storage reads the whole page and the reader drops other partitions' events before decoding,
   * so they cost no decoding. `last` and `exhausted` describe the stored page either way.
   */
  async globalPage(source: EventSource, query: GlobalPageQuery): Promise<DecodedPage> {
    const { types, partition, ...rest } = query;
    const widened =
      types === undefined || this.#registry.readsRaw ? undefined : this.#registry.storedTypes(types);
    const inStorage = partition !== undefined && source.partitionedReads === true;
    const page = await source.readAll({
      ...rest,
      ...(types === undefined ? {} : { types: widened === undefined ? types : widened.stored }),
      ...(inStorage ? { partition } : {}),
    });
    let events = await this.decode(
      partition === undefined || inStorage
        ? page
        : page.filter((event) => partitionOf(event.streamId, partition.count) === partition.index),
    );
    if (widened !== undefined && !widened.exact && types !== undefined) {
      const wanted = new Set(types);
      events = events.filter((event) => wanted.has(event.type));
    }
    return { events, last: page.at(-1)?.position, exhausted: page.length < query.limit };
  }

  /** Streams one stream's events page by page (keyset bounds on versions, so each page costs the same). */
  readStream(
    source: Pick<EventStorage<unknown>, 'readStream'>,
    streamId: string,
    options: StreamReadOptions = {},
  ): AsyncGenerator<StoredEvent> {
    return eventsOf(this.streamPages(source, streamId, options));
  }

  /**
   * {@link EventReader.readStream} a page at a time: a fold over a long stream awaits once per
   * page, not once per event.
   */
  streamPages(
    source: Pick<EventStorage<unknown>, 'readStream'>,
    streamId: string,
    options: StreamReadOptions = {},
  ): AsyncGenerator<readonly StoredEvent[]> {
    const pageSize = options.pageSize ?? defaultPageSize;
    const direction = options.direction ?? 'forward';
    const { until } = options;
    const start = () => {
      checkVersion('pageSize', pageSize, 1);
      if (options.fromVersion !== undefined) checkVersion('fromVersion', options.fromVersion, 1);
      if (options.toVersion !== undefined) checkVersion('toVersion', options.toVersion, 0);
      if (until !== undefined) checkDate('until', until);
      if (direction !== 'forward' && direction !== 'backward') {
        throw new InvalidArgumentError({
          argument: 'direction',
          value: direction,
          problem: "must be 'forward' or 'backward'",
        });
      }
      return { min: options.fromVersion ?? 1, max: options.toVersion };
    };
    return paginatePages(start, async ({ min, max }) => {
      const page = await this.streamPage(source, streamId, {
        direction,
        minVersion: min,
        ...(max === undefined ? {} : { maxVersion: max }),
        ...(until === undefined ? {} : { until }),
        limit: pageSize,
      });
      const { last } = page;
      const next =
        page.exhausted || last === undefined
          ? undefined
          : direction === 'forward'
            ? { min: last + 1, max }
            : { min, max: last - 1 };
      return { events: page.events, next };
    });
  }

  /** Streams the global log in position order, page by page (keyset on positions). */
  readAll(source: EventSource, options: LogReadOptions = {}): AsyncGenerator<StoredEvent> {
    const pageSize = options.pageSize ?? defaultPageSize;
    const { upTo, types, streamTypes } = options;
    const start = () => {
      checkVersion('pageSize', pageSize, 1);
      const after = options.after ?? 0;
      checkVersion('after', after, 0);
      if (upTo !== undefined) checkVersion('upTo', upTo, 0);
      return after;
    };
    return paginate(start, async (position) => {
      const page = await this.globalPage(source, {
        after: position,
        limit: pageSize,
        ...(upTo === undefined ? {} : { upTo }),
        ...(types === undefined ? {} : { types }),
        ...(streamTypes === undefined ? {} : { streamTypes }),
      });
      return { events: page.events, next: page.exhausted ? undefined : page.last };
    });
  }
}

/**
 * The one pagination helper: fetches a page at the cursor `start` returns (checking the options
 * when iteration begins, so a bad option rejects the first read), yields its events, and goes on
 * at the page's `next` cursor until there is none. Memory stays bounded by one page.
 */
export function paginate<Cursor>(
  start: () => Cursor,
  fetch: (
    cursor: Cursor,
  ) => Promise<{ readonly events: readonly StoredEvent[]; readonly next: Cursor | undefined }>,
): AsyncGenerator<StoredEvent> {
  return eventsOf(paginatePages(start, fetch));
}

/** {@link paginate}, yielding each page's events together (empty pages are skipped). */
async function* paginatePages<Cursor>(
  start: () => Cursor,
  fetch: (
    cursor: Cursor,
  ) => Promise<{ readonly events: readonly StoredEvent[]; readonly next: Cursor | undefined }>,
): AsyncGenerator<readonly StoredEvent[]> {
  let at: Cursor | undefined = start();
  while (at !== undefined) {
    const page = await fetch(at);
    if (page.events.length > 0) yield page.events;
    at = page.next;
  }
}

async function* eventsOf(pages: AsyncIterable<readonly StoredEvent[]>): AsyncGenerator<StoredEvent> {
  for await (const events of pages) yield* events;
}
