import { createEventStore } from '@hindsight/core';
import { CliError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { EventPrinter } from '../internal/event-table.js';
import { readingDefinitions, readingOptions } from '../internal/optional-aggregates.js';
import { statusLabel, streamStatusOf } from '../internal/stream-status.js';
import { checkRange, instant, stringValue, wholeNumber } from '../internal/values.js';

export const streamCommand: Command = {
  name: 'stream',
  summary: "One stream's events (version, position, time, type, data, metadata); time travel with --until",
  arguments: ['<streamId>'],
  options: {
    'from-version': { type: 'string', value: 'N', description: 'first version (inclusive, default 1)' },
    'to-version': { type: 'string', value: 'N', description: 'last version (inclusive, default: the last)' },
    until: {
      type: 'string',
      value: 'ISO',
      description: 'only events recorded at or before this instant: the stream as it was then',
    },
    backward: { type: 'boolean', description: 'newest first' },
    limit: { type: 'string', value: 'N', description: 'at most N events' },
    ...readingOptions,
  },
  details:
    'Examples:\n' +
    '  hindsight stream Order-o-1\n' +
    '  hindsight stream Order-o-1 --until 2026-01-31T12:00:00Z\n' +
    '  hindsight stream Order-o-1 --backward --limit 1 --json\n' +
    '  hindsight stream Customer-c-7 --stored     # as stored: older schema versions, encrypted fields',
  async run(context) {
    const [streamId = ''] = context.positionals;
    const fromVersion = wholeNumber('--from-version', stringValue(context.values['from-version']), 1);
    const toVersion = wholeNumber('--to-version', stringValue(context.values['to-version']), 0);
    const until = instant('--until', stringValue(context.values.until));
    const limit = wholeNumber('--limit', stringValue(context.values.limit), 1);
    checkRange({ name: '--from-version', value: fromVersion }, { name: '--to-version', value: toVersion });
    const definitions = await readingDefinitions(context);
    const opened = await context.openStore();
    const store = createEventStore({ storage: opened.storage, events: definitions });
    try {
      const info = await store.streamInfo(streamId);
      if (info === undefined) {
        throw new CliError(`no stream "${streamId}" in ${opened.description}`, { code: 'STREAM_NOT_FOUND' });
      }
      if (!context.json) {
        const status = await streamStatusOf(opened.storage, streamId);
        const since = status?.changedAt === undefined ? '' : ` since ${status.changedAt}`;
        const why = status?.reason === undefined ? '' : ` (${status.reason})`;
        const state = status === undefined ? '' : `, ${statusLabel(status)}${since}${why}`;
        await context.err.line(`Stream ${streamId} (${info.streamType}), version ${info.version}${state}`);
      }
      const printer = new EventPrinter(context.out, { json: context.json, withStream: false });
      const events = store.readStream(streamId, {
        direction: context.values.backward === true ? 'backward' : 'forward',
        ...(fromVersion === undefined ? {} : { fromVersion }),
        ...(toVersion === undefined ? {} : { toVersion }),
        ...(until === undefined ? {} : { until }),
        ...(limit === undefined ? {} : { pageSize: Math.min(limit, 500) }),
      });
      for await (const event of events) {
        await printer.print(event);
        if (printer.count === limit) break;
      }
      await printer.flush();
      if (printer.count === 0) {
        const beyond = fromVersion !== undefined && fromVersion > info.version;
        await context.err.line(
          beyond
            ? `No events in that range: the stream ends at version ${info.version}.`
            : 'No events in that range.',
        );
      }
    } finally {
      await opened.close();
    }
  },
};
