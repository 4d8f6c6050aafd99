import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import {
  type CheckReport,
  checkEvents,
  createEventStore,
  createInMemoryStorage,
  type StoredEvent,
} from '@hindsight/core';
import { CliError, usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { eventFromLine, linesOf } from '../internal/event-json.js';
import { TablePrinter } from '../internal/output.js';
import { Progress } from '../internal/progress.js';
import { stringValue } from '../internal/values.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'Read every event through the current definitions; report those that fail to upcast or validate',
  arguments: [],
  options: {
    input: {
      type: 'string',
      value: 'FILE',
      description: 'check an NDJSON export instead of the store (`-` for stdin)',
    },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `aggregates` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'The dry run before deploying a schema change: every stored event is upcast from the schema\n' +
    'version it was written with and validated against the current schema of its type, as the\n' +
    "config module's aggregates define them. Prints counts per stream type, type and schema\n" +
    'version, then every failing event (stream, version, position, field and message); progress\n' +
    'goes to stderr. Exits 1 when any event fails. Events of stream types the config does not\n' +
    "define, and the store's own events ($StreamDeleted tombstones, $SubjectForgotten), are counted\n" +
    'as unchecked.\n' +
    'Examples:\n' +
    '  hindsight check --config ./hindsight.config.js\n' +
    '  hindsight check --input events.ndjson --json      # in CI, against a production export',
  async run(context) {
    const input = stringValue(context.values.input);
    const aggregates = await context.loadAggregates(stringValue(context.values.config));
    const progress = new Progress(context.err, 'checked');
    const onProgress = ({ events, failed }: { events: number; failed: number }) =>
      progress.tick(events, ` (${failed} failed)`);
    let report: CheckReport;
    if (input === undefined) {
      const opened = await context.openStore();
      try {
        const store = createEventStore({ storage: opened.storage, events: aggregates });
        report = await checkEvents(store, { onProgress, signal: context.signal });
      } finally {
        await opened.close();
      }
    } else {
      const source = input === '-' ? context.stdin : createReadStream(resolve(context.cwd, input));
      if (source === undefined) throw usageError('--input - reads an export from standard input');
      const store = createEventStore({ storage: createInMemoryStorage(), events: aggregates });
      try {
        report = await checkEvents(store, {
          events: exportedEvents(source),
          onProgress,
          signal: context.signal,
        });
      } finally {
        await store.close();
      }
    }
    await progress.done(report.events, ` (${report.failed} failed, ${report.unchecked} unchecked)`);
    if (context.json) await context.out.json(report);
    else await printReport(context.out, report);
    if (report.failed > 0) {
      throw new CliError(`${report.failed} of ${report.events} events do not fit their current definitions`, {
        code: 'CHECK_FAILED',
      });
    }
  },
};

/** The events of an NDJSON export, as stored (positions and schema versions kept). */
async function* exportedEvents(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<StoredEvent> {
  let line = 0;
  for await (const text of linesOf(source)) {
    line += 1;
    if (text.trim() === '') continue;
    const imported = eventFromLine(text, line);
    const position = (JSON.parse(text) as { position?: unknown }).position;
    yield {
      eventId: imported.event.eventId,
      streamId: imported.streamId,
      streamType: imported.streamType,
      type: imported.event.type,
      version: imported.version,
      position: typeof position === 'number' ? position : line,
      timestamp: imported.event.recordedAt ?? new Date(0),
      data: imported.event.data,
      metadata: imported.event.metadata,
    };
  }
}

async function printReport(out: Parameters<Command['run']>[0]['out'], report: CheckReport): Promise<void> {
  const table = new TablePrinter(
    out,
    ['STREAM TYPE', 'TYPE', 'SCHEMA VERSION', 'EVENTS', 'FAILED'],
    ['left', 'left', 'right', 'right', 'right'],
  );
  for (const count of report.counts) {
    await table.row([
      count.streamType,
      count.type,
      String(count.schemaVersion),
      String(count.events),
      String(count.failed),
    ]);
  }
  await table.flush();
  for (const failure of report.failures) {
    const where = failure.path === '' ? '' : ` field "${failure.path}":`;
    await out.line(
      `FAILED ${failure.streamId} version ${failure.version} (position ${failure.position}) ` +
        `${failure.eventType} schema version ${failure.schemaVersion}:${where} ${failure.message}`,
    );
  }
  await out.line(
    `${report.events} events read: ${report.events - report.unchecked - report.failed} fit, ` +
      `${report.failed} failed, ${report.unchecked} unchecked (stream types not in the config, the store's own events).`,
  );
}
