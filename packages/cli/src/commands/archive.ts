import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { type ArchiveMode, archiveStreams } from '@hindsight/core';
import type { Command } from '../internal/command.js';
import { eventToJson } from '../internal/event-json.js';

export const archiveCommand: Command = {
  name: 'archive',
  summary: 'Move events out of the hot table: of closed streams, and before each snapshot',
  arguments: [],
  options: {
    stream: { type: 'string', multiple: true, value: 'ID', description: 'only this stream (repeatable)' },
    closed: { type: 'boolean', description: 'only whole closed streams' },
    'before-snapshot': { type: 'boolean', description: "only events up to each stream's snapshot" },
    export: { type: 'string', value: 'FILE', description: 'also write the moved events to FILE as NDJSON' },
  },
  details:
    'Archived events stay readable by every read (streams, time travel, the global log), so no\n' +
    'consumer skips one. Without --closed or --before-snapshot, both. Progress goes to stderr.\n' +
    'Examples:\n' +
    '  hindsight archive --closed\n' +
    '  hindsight archive --stream Order-o-1 --export order-o-1.ndjson',
  async run(context) {
    const streams = context.values.stream;
    const streamIds = Array.isArray(streams) ? streams.map(String) : undefined;
    const closed = context.values.closed === true;
    const beforeSnapshot = context.values['before-snapshot'] === true;
    const mode: ArchiveMode = closed === beforeSnapshot ? 'auto' : closed ? 'closed' : 'before-snapshot';
    const exportTo = context.values.export;
    const opened = await context.openStore();
    const file =
      typeof exportTo === 'string' ? createWriteStream(resolve(context.cwd, exportTo), 'utf8') : undefined;
    try {
      const total = streamIds?.length ?? (await opened.storage.admin?.stats())?.streams;
      const of = total === undefined ? '' : ` of ${total}`;
      let lastReport = performance.now();
      const progress = await archiveStreams(opened.storage, {
        mode,
        ...(streamIds === undefined ? {} : { streamIds }),
        onMoved: async ({ moved }) => {
          if (file === undefined) return;
          for (const event of moved) {
            if (!file.write(`${JSON.stringify(eventToJson(event))}\n`)) await once(file, 'drain');
          }
        },
        onProgress: async ({ streamsDone, eventsMoved }) => {
          if (performance.now() - lastReport < 1000) return;
          lastReport = performance.now();
          await context.err.line(`Archiving: ${streamsDone}${of} streams, ${eventsMoved} events moved`);
        },
      });
      const summary = { streams: progress.streamsDone, eventsMoved: progress.eventsMoved };
      if (context.json) await context.out.json(summary);
      await context.err.line(
        `Archived ${progress.eventsMoved} events of ${progress.streamsDone}${of} streams looked at.`,
      );
    } finally {
      if (file !== undefined) {
        file.end();
        await once(file, 'finish');
      }
      await opened.close();
    }
  },
};
