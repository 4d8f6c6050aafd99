import type { Migration } from './migration.js';

// COLLATE "C": keys compare by bytes, the binary order the storage port promises.
export const migration2: Migration = {
  version: 2,
  name: 'documents',
  sql: (schema) => `
CREATE TABLE ${schema}.documents (
  collection text NOT NULL,
  key text COLLATE "C" NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, key)
);
`,
};
