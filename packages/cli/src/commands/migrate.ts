import type { Command } from '../internal/command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create the store or upgrade its tables to this release (idempotent)',
  arguments: [],
  options: {},
  details:
    'Creates the SQLite file (and its folder) or the PostgreSQL schema and tables if missing, and\n' +
    'applies pending migrations. Safe to run on every deploy and from several processes at once.',
  async run(context) {
    const opened = await context.openStore({ create: true });
    try {
      const { applied, schemaVersion } = await opened.migrate();
      if (context.json) {
        await context.out.json({ store: opened.location.kind, applied, schemaVersion });
      } else if (applied.length === 0) {
        await context.out.line(`Already at schema version ${schemaVersion}: nothing to do.`);
      } else {
        await context.out.line(
          `Applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')}: ` +
            `now at schema version ${schemaVersion}.`,
        );
      }
    } finally {
      await opened.close();
    }
  },
};
