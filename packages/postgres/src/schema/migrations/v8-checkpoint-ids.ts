import type { Migration } from './migration.js';

// Subscriptions kept their bare name as id, so one named `process:x` shared process manager x's
// checkpoint; now every id is `<kind>:<name>`. Ids of the other kinds already had their prefix;
// the rest were subscriptions'.
export const migration8: Migration = {
  version: 8,
  name: 'checkpoint ids and lease names lead with the consumer kind',
  sql: (schema) => `
UPDATE ${schema}.checkpoints SET consumer_id = 'subscription:' || consumer_id
WHERE left(consumer_id, 11) <> 'projection:'
  AND left(consumer_id, 8) <> 'process:'
  AND left(consumer_id, 9) <> 'listener:';
UPDATE ${schema}.leases SET name = 'subscription:' || name
WHERE left(name, 11) <> 'projection:'
  AND left(name, 8) <> 'process:'
  AND left(name, 9) <> 'listener:';
`,
};
