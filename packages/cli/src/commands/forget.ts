import { createEventStore } from '@hindsight/core';
import { usageError } from '../internal/cli-error.js';
import type { Command } from '../internal/command.js';

export const forgetCommand: Command = {
  name: 'forget',
  summary: 'Forget a data subject (GDPR erasure): delete its key, so its personal fields read as forgotten',
  arguments: ['<subjectId>'],
  options: {
    yes: { type: 'boolean', description: 'confirm: the key cannot be recovered (required)' },
  },
  details:
    "Deletes every key of the data subject (crypto-shredding: the subject's personal fields, encrypted\n" +
    'with it, then read as { "$forgotten": true }) and drops the snapshots of the streams holding its\n' +
    'events; events, versions and positions stay. It cannot be undone, so --yes is required.\n' +
    'It then appends a $SubjectForgotten event (subject and stream ids only) to the $personal-data\n' +
    "stream: the application's projections and listeners with an onForget hook erase their copies\n" +
    'when it reaches them. Hooks given to the store (`personalData.onForget`) do not run from here.\n' +
    'Example:\n' +
    '  hindsight forget customer-42 --yes',
  async run(context) {
    const [subjectId = ''] = context.positionals;
    if (subjectId === '') throw usageError('give the data subject id: hindsight forget <subjectId> --yes');
    if (context.values.yes !== true) {
      throw usageError(
        `forgetting "${subjectId}" deletes its key for good: add --yes to confirm (nothing was changed)`,
      );
    }
    const opened = await context.openStore();
    try {
      const store = createEventStore({ storage: opened.storage, events: [], personalData: {} });
      const result = await store.forget(subjectId);
      if (context.json) {
        await context.out.json(result);
        return;
      }
      await context.out.line(
        `Forgot ${subjectId}: keys deleted; ${result.streamIds.length} stream(s) hold its events, ` +
          `${result.snapshotsDropped} snapshot(s) dropped; consumers are told at position ${result.position}.`,
      );
    } finally {
      await opened.close();
    }
  },
};
