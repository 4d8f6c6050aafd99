import { createEventStore } from '@hindsight/core';
import { usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { eventToJson } from '../internal/event-json.js';
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
    'metadata. Progress goes to stderr. Example:\n' +
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
      for await (const event of store.readAll({ after, upTo: head })) {
        await context.out.json(eventToJson(event));
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
