import { deleteStream } from '@hindsight/core';
import { usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';
import { stringValue } from '../internal/values.js';

export const deleteCommand: Command = {
  name: 'delete',
  summary: "Delete a stream's events for good, leaving a $StreamDeleted tombstone (needs --yes)",
  arguments: ['<streamId>'],
  options: {
    yes: { type: 'boolean', description: 'confirm: the events cannot be brought back' },
    reason: { type: 'string', value: 'TEXT', description: 'why (an erasure request reference), kept' },
  },
  details:
    'The stream keeps its row and version; one last event, $StreamDeleted, goes to the global log\n' +
    'so that consumers drop their own copies. Later appends fail with STREAM_DELETED.\n' +
    'Examples:\n  hindsight delete Customer-c-7 --yes --reason "erasure #4411"',
  async run(context) {
    const [streamId = ''] = context.positionals;
    if (context.values.yes !== true) {
      throw usageError(`deleting removes the events of "${streamId}" for good: add --yes to confirm`);
    }
    const reason = stringValue(context.values.reason);
    const opened = await context.openStore();
    try {
      const info = await deleteStream(opened.storage, streamId, reason === undefined ? {} : { reason });
      if (context.json) await context.out.json(info);
      else await context.out.line(`Deleted ${streamId}: its tombstone is version ${info.version}.`);
    } finally {
      await opened.close();
    }
  },
};
