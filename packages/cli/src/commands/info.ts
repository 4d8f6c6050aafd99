import type { Command } from '../internal/command.js';
import { TablePrinter } from '../internal/output.js';
import { summarizeStore } from '../internal/store-queries.js';

export const infoCommand: Command = {
  name: 'info',
  summary: "The store, its head position, how many streams and events, consumers' checkpoints and lag",
  arguments: [],
  options: {},
  details:
    "A consumer's lag is how many positions it is behind the head. Failed consumers (they gave up\n" +
    'on an event and have not got past it since) are named; `hindsight consumers` says why.\n' +
    'A projection version replaced by a rebuild shows as retired, with no lag (see `hindsight\n' +
    'projections` and `hindsight prune`).',
  async run(context) {
    const opened = await context.openStore();
    try {
      const summary = await summarizeStore(opened);
      if (context.json) {
        await context.out.json(summary);
        return;
      }
      const { consumers } = summary;
      const unknown = 'unknown (the storage cannot count)';
      await context.out.line(`store      ${opened.description}`);
      await context.out.line(`head       ${summary.head}`);
      await context.out.line(`streams    ${summary.streams ?? unknown}`);
      await context.out.line(`events     ${summary.events ?? unknown}`);
      const { failures } = summary;
      if (failures.length > 0) {
        const names = failures.map((failure) => failure.checkpointId).join(', ');
        await context.out.line(`failed     ${failures.length}: ${names} (see \`hindsight consumers\`)`);
      }
      if (opened.storage.admin === undefined) {
        await context.out.line('consumers  unknown (the storage cannot list checkpoints)');
        return;
      }
      await context.out.line(`consumers  ${consumers.length === 0 ? 'none' : consumers.length}`);
      if (consumers.length === 0) return;
      await context.out.line();
      const table = new TablePrinter(
        context.out,
        ['CONSUMER', 'POSITION', 'LAG'],
        ['left', 'right', 'right'],
      );
      for (const consumer of consumers) {
        await table.row([
          consumer.consumerId,
          String(consumer.position),
          consumer.lag === null ? 'retired' : String(consumer.lag),
        ]);
      }
      await table.flush();
    } finally {
      await opened.close();
    }
  },
};
