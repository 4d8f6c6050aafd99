import type { Command } from '../internal/command.js';
import { TablePrinter } from '../internal/output.js';

export const infoCommand: Command = {
  name: 'info',
  summary: "The store, its head position, how many streams and events, consumers' checkpoints and lag",
  arguments: [],
  options: {},
  details: "A consumer's lag is how many positions it is behind the head.",
  async run(context) {
    const opened = await context.openStore();
    try {
      const { storage } = opened;
      const head = await storage.headPosition();
      const stats = (await storage.stats?.()) ?? { streams: undefined, events: undefined };
      const checkpoints = (await storage.listCheckpoints?.()) ?? [];
      const consumers = checkpoints.map(({ consumerId, position }) => ({
        consumerId,
        position,
        lag: Math.max(0, head - position),
      }));
      if (context.json) {
        await context.out.json({
          store: { kind: opened.location.kind, description: opened.description },
          head,
          streams: stats.streams ?? null,
          events: stats.events ?? null,
          consumers,
        });
        return;
      }
      const unknown = 'unknown (the storage cannot count)';
      await context.out.line(`store      ${opened.description}`);
      await context.out.line(`head       ${head}`);
      await context.out.line(`streams    ${stats.streams ?? unknown}`);
      await context.out.line(`events     ${stats.events ?? unknown}`);
      if (storage.listCheckpoints === undefined) {
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
        await table.row([consumer.consumerId, String(consumer.position), String(consumer.lag)]);
      }
      await table.flush();
    } finally {
      await opened.close();
    }
  },
};
