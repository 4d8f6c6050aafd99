import { projectionVersions } from '@hindsight/core';
import type { Command } from '../internal/command.js';
import { TablePrinter } from '../internal/output.js';
import { stringValue } from '../internal/values.js';

export const projectionsCommand: Command = {
  name: 'projections',
  summary: 'The projections of the config with their versions: live, building or retired, and lag',
  arguments: [],
  options: {
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `projections` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'Readers query the live version. A rebuild fills the next one beside it (building), then\n' +
    'switches; the version it replaced is retired: it no longer follows the log, so it shows no\n' +
    'lag, and `hindsight prune` deletes it. A version without a checkpoint (an inline\n' +
    "projection's) shows no position.\n" +
    'Examples:\n' +
    '  hindsight projections --config ./hindsight.config.js\n' +
    '  hindsight projections --json',
  async run(context) {
    const opened = await context.openStore();
    try {
      const projections = await context.loadProjections(stringValue(context.values.config), opened.storage);
      const all = [];
      for (const projection of projections) all.push(await projectionVersions(opened, projection));
      if (context.json) {
        await context.out.json(all);
        return;
      }
      if (all.length === 0) {
        await context.out.line('no projections in the config');
        return;
      }
      const table = new TablePrinter(
        context.out,
        ['PROJECTION', 'VERSION', 'STATE', 'POSITION', 'LAG'],
        ['left', 'right', 'left', 'right', 'right'],
      );
      for (const { projection, versions } of all) {
        for (const { version, state, position, lag } of versions) {
          await table.row([projection, String(version), state, String(position ?? '-'), String(lag ?? '-')]);
        }
      }
      await table.flush();
    } finally {
      await opened.close();
    }
  },
};
