import type { Migration } from './migrations/migration.js';
import { migration1 } from './migrations/v1-events-streams.js';
import { migration2 } from './migrations/v2-documents.js';
import { migration3 } from './migrations/v3-position-sequence.js';
import { migration4 } from './migrations/v4-leases.js';
import { migration5 } from './migrations/v5-read-all-functions.js';
import { migration6 } from './migrations/v6-append-function.js';
import { migration7 } from './migrations/v7-stream-list-indexes.js';
import { migration8 } from './migrations/v8-checkpoint-ids.js';
import { migration9 } from './migrations/v9-append-batch-function.js';
import { migration10 } from './migrations/v10-stream-lifecycle.js';
import { migration11 } from './migrations/v11-partitioned-reads.js';

export type { Migration } from './migrations/migration.js';

/**
 * Every migration, oldest first. Append only: a released migration never changes, and each holds
 * its SQL as written at its version (the storage's current function definitions live in
 * `functions/`, for the Drizzle export; a test checks that the migrations end at them).
 */
export const migrations: readonly Migration[] = [
  migration1,
  migration2,
  migration3,
  migration4,
  migration5,
  migration6,
  migration7,
  migration8,
  migration9,
  migration10,
  migration11,
];
