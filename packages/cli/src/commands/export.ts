import { createEventStore, type EventStorage, type StoredEvent } from '@hindsight/core';
import { usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { type EventJson, eventToJson } from '../internal/event-json.js';
import { Progress } from '../internal/progress.js';
import { stringValue, wholeNumber } from '../internal/values.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write the global log as NDJSON (one event per line) to stdout',
  arguments: [],
  options: {
    after: { type: 'string', value: 'N', description: 'start after this global position (default 0)' },
    'up-to': { type: 'string', value: 'N', description: 'stop at this global position (inclusive)' },
  },
  details:
    'Each line holds position, eventId, streamId, streamType, version, type, timestamp, data and\n' +
    'metadata; the last event of a closed stream also `closed` (at, reason), so that import closes\n' +
    "it too. A deleted stream's tombstone is exported as its one event. Progress goes to stderr.\n" +
    'Example:\n' +
    '  hindsight export > events.ndjson\n' +
    '  hindsight export --url postgres://… | hindsight import --file copy.db',
  async run(context) {
    const after = wholeNumber('--after', stringValue(context.values.after), 0) ?? 0;
    const upTo = wholeNumber('--up-to', stringValue(context.values['up-to']), 0);
    if (upTo !== undefined && after >= upTo) {
      throw usageError(`--after ${after} is not before --up-to ${upTo}: the range is empty`);
    }
    const opened = await context.openStore();
    const store = createEventStore({ storage: opened.storage, events: [] });
    try {
      // A fixed end: events appended while exporting are left for the next export (--after).
      const head = upTo ?? (await store.headPosition());
      const progress = new Progress(context.err, 'exported');
      let count = 0;
      let last = after;
      const closings = new ClosedStreams(opened.storage);
      for await (const event of store.readAll({ after, upTo: head })) {
        await context.out.json(await closings.annotate(event, eventToJson(event)));
        count += 1;
        last = event.position;
        await progress.tick(count);
        if (context.signal.aborted) break;
      }
      await progress.done(count, count === 0 ? '' : `, positions ${after + 1}..${last}`);
    } finally {
      await opened.close();
    }
  },
};

/**
 * Marks the last event of each closed stream with its close. The status is looked up once per
 * stream while its events come by (a bounded cache: an export of millions of streams keeps only
 * the recent ones), and not at all on a storage without the lifecycle capability.
 */
class ClosedStreams {
  static readonly #cacheSize = 10_000;
  readonly #storage: EventStorage<unknown>;
  readonly #known = new Map<string, { readonly version: number; readonly closed: EventJson['closed'] }>();

  constructor(storage: EventStorage<unknown>) {
    this.#storage = storage;
  }

  async annotate(event: StoredEvent, json: EventJson): Promise<EventJson> {
    const { lifecycle } = this.#storage;
    if (lifecycle === undefined) return json;
    let known = this.#known.get(event.streamId);
    if (known === undefined) {
      const info = await lifecycle.status(event.streamId);
      known = {
        version: info?.version ?? 0,
        closed:
          info?.status === 'closed'
            ? {
                at: (info.changedAt ?? event.timestamp).toISOString(),
                ...(info.reason === undefined ? {} : { reason: info.reason }),
              }
            : undefined,
      };
      if (this.#known.size >= ClosedStreams.#cacheSize) {
        const oldest = this.#known.keys().next().value;
        if (oldest !== undefined) this.#known.delete(oldest);
      }
      this.#known.set(event.streamId, known);
    }
    return known.closed !== undefined && event.version === known.version
      ? { ...json, closed: known.closed }
      : json;
  }
}
