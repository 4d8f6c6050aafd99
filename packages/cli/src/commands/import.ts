import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStore, type EventStore, isHindsightError } from '@hindsight/core';
import { CliError, describeError, usageError } from '../internal/cli-error.js';
import type { Command, CommandContext } from '../internal/command.js';
import { eventFromLine, type ImportedEvent, linesOf } from '../internal/event-json.js';
import { importTombstone } from '../internal/import-tombstone.js';
import { Progress } from '../internal/progress.js';
import { stringValue, wholeNumber } from '../internal/values.js';

const defaultBatchSize = 500;

/** How many events an import appended, and how many it found already stored. */
interface Counts {
  read: number;
  appended: number;
  alreadyStored: number;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Append the events of an NDJSON export from stdin, keeping their ids (re-importing is a no-op)',
  arguments: [],
  options: {
    'batch-size': {
      type: 'string',
      value: 'N',
      description: `events of one stream appended together, at most (default ${defaultBatchSize})`,
    },
  },
  details:
    'Events are appended in file order, consecutive events of one stream in one atomic append, each\n' +
    'with the version it has in the file as expected version. Event ids are kept, so importing a file\n' +
    'again (or resuming an interrupted import) appends nothing twice. Every line is checked first:\n' +
    'a malformed file appends nothing and creates no store. Creates the store if needed.\n' +
    'Recorded times come from the file (`timestamp`), so time travel works on the imported\n' +
    'history; events without one are stamped with the time of the import. A stream closed in the\n' +
    "export (`closed` on its last event) is closed in the target; a deleted stream's tombstone\n" +
    'deletes the stream in the target, or creates it deleted there if the target never had it.\n' +
    'Example:\n' +
    '  hindsight import --url postgres://… < events.ndjson',
  async run(context) {
    const batchSize =
      wholeNumber('--batch-size', stringValue(context.values['batch-size']), 1) ?? defaultBatchSize;
    const { stdin } = context;
    if (stdin === undefined || (stdin as { isTTY?: boolean }).isTTY === true) {
      throw usageError('import reads NDJSON from standard input: hindsight import < events.ndjson');
    }
    // Every line is checked before the store is opened (or created): a malformed file appends
    // nothing. The checked input is kept in a temporary file, so it is read from stdin only once.
    const input = await checkedInput(stdin, context.signal);
    try {
      await importFile(context, input.path, batchSize);
    } finally {
      await rm(input.folder, { recursive: true, force: true });
    }
  },
};

/** Checks every line of `stdin` while copying it to a temporary file; refuses an input without events. */
async function checkedInput(
  stdin: AsyncIterable<string | Uint8Array>,
  signal: AbortSignal,
): Promise<{ folder: string; path: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'hindsight-import-'));
  const path = join(folder, 'events.ndjson');
  const file = createWriteStream(path);
  try {
    let lineNumber = 0;
    let events = 0;
    try {
      for await (const line of linesOf(stdin)) {
        lineNumber += 1;
        if (signal.aborted) throw new CliError(`interrupted at line ${lineNumber}`, { code: 'INTERRUPTED' });
        if (line.trim() !== '') {
          eventFromLine(line, lineNumber);
          events += 1;
        }
        // Blank lines too: errors found while appending name the line of the input.
        if (!file.write(`${line}\n`)) await once(file, 'drain');
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot read line ${lineNumber + 1}: ${describeError(error)}`, {
        code: 'IMPORT_INVALID',
        cause: error,
      });
    }
    if (events === 0)
      throw new CliError('the input holds no events: nothing to import', { code: 'IMPORT_INVALID' });
    file.end();
    await once(file, 'close');
    return { folder, path };
  } catch (error) {
    file.destroy();
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

async function importFile(context: CommandContext, path: string, batchSize: number): Promise<void> {
  const opened = await context.openStore({ create: true });
  // Not typed by catalogs: appendPrepared checks stream ids and versions, not payload schemas,
  // which the events passed when first appended.
  const store = createEventStore({ storage: opened.storage, events: [] });
  try {
    // Only a new store is migrated here: an existing one is left to `hindsight migrate`, which
    // may need more privileges than appending does.
    if (!opened.existed) {
      const { schemaVersion } = await opened.migrate();
      await context.err.line(`Created the store (schema version ${schemaVersion}).`);
    }
    const counts: Counts = { read: 0, appended: 0, alreadyStored: 0 };
    const progress = new Progress(context.err, 'imported');
    const detail = (): string => ` (${counts.appended} appended, ${counts.alreadyStored} already stored)`;
    let batch: ImportedEvent[] = [];
    let lineNumber = 0;
    for await (const line of linesOf(createReadStream(path))) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      const event = eventFromLine(line, lineNumber);
      const previous = batch.at(-1);
      if (
        previous !== undefined &&
        (previous.streamId !== event.streamId ||
          previous.version + 1 !== event.version ||
          batch.length >= batchSize)
      ) {
        await appendBatch(store, batch, counts);
        await progress.tick(counts.read, detail());
        batch = [];
      }
      batch.push(event);
      if (context.signal.aborted)
        throw new CliError(`interrupted after line ${lineNumber}`, { code: 'INTERRUPTED' });
    }
    if (batch.length > 0) await appendBatch(store, batch, counts);
    if (context.json) {
      await context.out.json({
        ...counts,
        seconds: Number(progress.seconds.toFixed(3)),
        eventsPerSecond: progress.rate(counts.read),
      });
    } else {
      await context.out.line(
        `Imported ${counts.read} events: ${counts.appended} appended, ${counts.alreadyStored} already stored.`,
      );
    }
    await progress.done(counts.read, detail());
  } finally {
    await opened.close();
  }
}

/**
 * Appends one run of a stream's consecutive events. When the stream already holds some of them
 * (an interrupted import resumed with another batch size), the stored part is checked as a retry
 * and the rest appended after it.
 */
async function appendBatch(
  store: EventStore,
  batch: readonly ImportedEvent[],
  counts: Counts,
): Promise<void> {
  const first = batch[0] as ImportedEvent;
  try {
    await appendRun(store, batch, counts);
  } catch (error) {
    if (!isHindsightError(error, 'EVENT_ID_CONFLICT') && !isHindsightError(error, 'CONCURRENCY_CONFLICT')) {
      throw failed(first, error);
    }
    const stored = (await store.streamInfo(first.streamId))?.version ?? 0;
    const split = stored - first.version + 1;
    if (split <= 0 || split >= batch.length) throw failed(first, error);
    try {
      await appendRun(store, batch.slice(0, split), counts);
      await appendRun(store, batch.slice(split), counts);
    } catch (retryError) {
      throw failed(first, retryError);
    }
  }
}

async function appendRun(store: EventStore, run: readonly ImportedEvent[], counts: Counts): Promise<void> {
  if (await importTombstone(store, run, counts)) return;
  const first = run[0] as ImportedEvent;
  const last = run.at(-1) as ImportedEvent;
  let alreadyStored: boolean;
  try {
    const result = await store.appendPrepared({
      streamId: first.streamId,
      streamType: first.streamType,
      expectedVersion: first.version - 1,
      events: run.map((item) => item.event),
    });
    alreadyStored = result.alreadyStored;
  } catch (error) {
    // A stream the import closed before refuses appends, though these are its own events again.
    const info = isHindsightError(error, 'STREAM_CLOSED')
      ? await store.streamInfo(first.streamId)
      : undefined;
    if (info === undefined || info.version < last.version) throw error;
    alreadyStored = true;
  }
  counts.read += run.length;
  if (alreadyStored) counts.alreadyStored += run.length;
  else counts.appended += run.length;
  const { closed } = last;
  if (closed !== undefined && store.storage.lifecycle !== undefined) {
    // The close keeps its time and reason; a stream closed already keeps its first close.
    await store.storage.lifecycle.close(last.streamId, closed);
  }
}

function failed(first: ImportedEvent, error: unknown): CliError {
  return new CliError(
    `cannot import line ${first.line} (stream "${first.streamId}", version ${first.version}): ${describeError(error)}`,
    { code: 'IMPORT_FAILED', cause: error },
  );
}
