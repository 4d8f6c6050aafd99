import type { Migration } from './migration.js';

// One row per lease name; the storage checks it FOR SHARE inside consumer transactions (the fence).
export const migration4: Migration = {
  version: 4,
  name: 'consumer leases',
  sql: (schema) => `
CREATE TABLE ${schema}.leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL
);
`,
};
