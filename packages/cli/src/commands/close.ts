import { closeStream } from '@hindsight/core';
import type { Command } from '../internal/command.js';
import { stringValue } from '../internal/values.js';

export const closeCommand: Command = {
  name: 'close',
  summary: 'Close a stream: later appends fail with STREAM_CLOSED, reads go on, it may be archived',
  arguments: ['<streamId>'],
  options: {
    reason: { type: 'string', value: 'TEXT', description: 'why, kept with the stream' },
  },
  details: 'Examples:\n  hindsight close Order-o-1 --reason fulfilled\n  hindsight archive --closed',
  async run(context) {
    const [streamId = ''] = context.positionals;
    const reason = stringValue(context.values.reason);
    const opened = await context.openStore();
    try {
      const info = await closeStream(opened.storage, streamId, reason === undefined ? {} : { reason });
      if (context.json) await context.out.json(info);
      else await context.out.line(`Closed ${streamId} at version ${info.version}.`);
    } finally {
      await opened.close();
    }
  },
};
