import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type { EventCatalog } from '../events/event-catalog.js';
import { schemaVersionField } from '../events/evolving-schema.js';
import { EventReader } from './event-reader.js';
import type { EventStore } from './event-store.js';
import { streamDeletedType } from './stream-lifecycle.js';

/** Events of one stored type at one schema version, and how many of them failed. */
export interface CheckCount {
  readonly streamType: string;
  /** The type as stored (a retired name too). */
  readonly type: string;
  /** The schema version the events were written with. */
  readonly schemaVersion: number;
  readonly events: number;
  readonly failed: number;
}

/** One stored event that cannot be read through the current definitions. */
export interface CheckFailure {
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
  readonly streamType: string;
  readonly eventType: string;
  readonly schemaVersion: number;
  /**
   * `invalid`: it fails to upcast or to validate (see `path` and `message`); `unknown-type`: its
   * stream type is defined but its type is neither current nor retired there.
   */
  readonly problem: 'invalid' | 'unknown-type';
  /** The first failing field (empty for the payload itself or an upcasting failure). */
  readonly path: string;
  readonly message: string;
}

/**
 * What {@link checkEvents} found.
 *
 * @example
 * ```ts
 * const { events, failed, counts } = await checkEvents(store);
 * for (const count of counts) console.log(count.type, `v${count.schemaVersion}`, count.events, count.failed);
 * ```
 */
export interface CheckReport {
  /** Events read. */
  readonly events: number;
  /** Events of stream types the definitions do not cover: read as stored, not checked. */
  readonly unchecked: number;
  readonly failed: number;
  /** Per stored type and schema version, in the order first seen. */
  readonly counts: readonly CheckCount[];
  readonly failures: readonly CheckFailure[];
}

/** Progress of {@link checkEvents}, reported after every page. */
export interface CheckProgress {
  readonly events: number;
  readonly failed: number;
  /** The global position read last (0 before any). */
  readonly position: number;
}

/** Options of {@link checkEvents}. */
export interface CheckOptions {
  /** Events to check instead of the store's log (e.g. read from an export file), in log order. */
  readonly events?: AsyncIterable<StoredEvent>;
  /** Events read per page of the store's log (default 500). */
  readonly pageSize?: number;
  /** Stop at this global position (inclusive); default: the head when the check starts. */
  readonly upTo?: number;
  readonly onProgress?: (progress: CheckProgress) => void | Promise<void>;
  /** Aborts between pages; the report then covers what was read. */
  readonly signal?: AbortSignal;
}

/**
 * Reads the whole log (or `options.events`) through the store's current definitions and reports
 * every event that fails to upcast or to validate, with counts per type and schema version: the
 * dry run before deploying a schema change, or a CI check against a production export. It always
 * validates, whatever the store's `validateOnRead`.
 *
 * @example
 * ```ts
 * const report = await checkEvents(createEventStore({ storage, events: [Account] }));
 * for (const failure of report.failures) console.log(failure.streamId, failure.version, failure.path, failure.message);
 * if (report.failed > 0) process.exitCode = 1;
 * ```
 */
export async function checkEvents(
  store: Pick<EventStore<readonly EventCatalog[], unknown>, 'storage' | 'reader' | 'headPosition'>,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const counts = new Map<string, { -readonly [K in keyof CheckCount]: CheckCount[K] }>();
  const failures: CheckFailure[] = [];
  let events = 0;
  let unchecked = 0;
  let position = 0;
  const { reader } = store;

  const check = async (event: StoredEvent): Promise<void> => {
    events += 1;
    position = event.position;
    const known = reader.knows(event);
    // Tombstones of deleted streams are the store's own, not events the definitions describe.
    if (known === 'unknown-stream-type' || event.type === streamDeletedType) {
      unchecked += 1;
      return;
    }
    const version =
      typeof event.metadata[schemaVersionField] === 'number' ? event.metadata[schemaVersionField] : 1;
    const key = `${event.streamType}\u0000${event.type}\u0000${version}`;
    let count = counts.get(key);
    if (count === undefined) {
      count = {
        streamType: event.streamType,
        type: event.type,
        schemaVersion: version,
        events: 0,
        failed: 0,
      };
      counts.set(key, count);
    }
    count.events += 1;
    const failure = await failureOf(reader, event, known, version);
    if (failure === undefined) return;
    count.failed += 1;
    failures.push(failure);
  };

  const report = async (): Promise<void> => {
    await options.onProgress?.({ events, failed: failures.length, position });
  };

  if (options.events !== undefined) {
    let sinceReport = 0;
    for await (const event of options.events) {
      await check(event);
      sinceReport += 1;
      if (sinceReport === (options.pageSize ?? 500)) {
        sinceReport = 0;
        await report();
        if (options.signal?.aborted) break;
      }
    }
  } else {
    const upTo = options.upTo ?? (await store.headPosition());
    const pageSize = options.pageSize ?? 500;
    let after = 0;
    // Read as stored, page by page, and decode each event alone: one bad event must not hide the next.
    for (;;) {
      const page = await EventReader.raw.globalPage(store.storage, { after, upTo, limit: pageSize });
      for (const event of page.events) await check(event);
      await report();
      if (page.exhausted || page.last === undefined || options.signal?.aborted) break;
      after = page.last;
    }
  }
  await report();
  return { events, unchecked, failed: failures.length, counts: [...counts.values()], failures };
}

async function failureOf(
  reader: EventReader,
  event: StoredEvent,
  known: 'known' | 'unknown-type',
  schemaVersion: number,
): Promise<CheckFailure | undefined> {
  const where = {
    streamId: event.streamId,
    version: event.version,
    position: event.position,
    streamType: event.streamType,
    eventType: event.type,
    schemaVersion,
  };
  if (known === 'unknown-type') {
    return {
      ...where,
      problem: 'unknown-type',
      path: '',
      message: `"${event.type}" is not an event type of ${event.streamType} (neither current nor retired)`,
    };
  }
  try {
    await reader.decode([event], { validate: true });
    return undefined;
  } catch (error) {
    if (!isHindsightError(error, 'STORED_EVENT_INVALID')) throw error;
    const [first] = error.issues;
    return { ...where, problem: 'invalid', path: error.path, message: first?.message ?? error.message };
  }
}
