import type { Command } from '../internal/command.js';
import { TablePrinter } from '../internal/output.js';
import { listStreamPage } from '../internal/store-queries.js';
import { statusLabel, streamStatusOf } from '../internal/stream-status.js';
import { stringValue, wholeNumber } from '../internal/values.js';

const pageSize = 500;

export const streamsCommand: Command = {
  name: 'streams',
  summary: 'List streams (id, type, version, status: open, closed, archived, deleted), by stream id',
  arguments: [],
  options: {
    type: { type: 'string', value: 'T', description: 'only streams of this stream type' },
    after: { type: 'string', value: 'ID', description: 'start after this stream id (paging)' },
    limit: { type: 'string', value: 'N', description: 'at most N streams (default: all)' },
  },
  async run(context) {
    const streamType = stringValue(context.values.type);
    let after = stringValue(context.values.after);
    const limit = wholeNumber('--limit', stringValue(context.values.limit), 1);
    const opened = await context.openStore();
    try {
      const table = new TablePrinter(
        context.out,
        ['STREAM', 'TYPE', 'VERSION', 'STATUS'],
        ['left', 'left', 'right', 'left'],
      );
      let listed = 0;
      for (;;) {
        const want = limit === undefined ? pageSize : Math.min(pageSize, limit - listed);
        if (want <= 0) break;
        const page = await listStreamPage(
          opened.storage,
          {
            limit: want,
            ...(after === undefined ? {} : { after }),
            ...(streamType === undefined ? {} : { streamType }),
          },
          'hindsight streams',
        );
        for (const stream of page) {
          const status = await streamStatusOf(opened.storage, stream.streamId);
          if (context.json) await context.out.json(status === undefined ? stream : { ...stream, ...status });
          else {
            await table.row([
              stream.streamId,
              stream.streamType,
              String(stream.version),
              statusLabel(status),
            ]);
          }
        }
        listed += page.length;
        after = page.at(-1)?.streamId;
        if (page.length < want) break;
      }
      await table.flush();
      if (listed === 0) await context.err.line('No streams.');
    } finally {
      await opened.close();
    }
  },
};
