import type { PGliteInterface } from '@electric-sql/pglite';
import { InvalidArgumentError } from '@hindsight/core';
import type { Pool } from 'pg';
/** Recognises the client by shape, so neither driver package is imported at runtime. */
import type { PostgresClient } from '../postgres-client.js';
import type { Driver, DriverOptions } from './driver.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';

export function createDriver(client: PostgresClient, options: DriverOptions): Driver {
  const candidate = client as unknown as Partial<Record<string, unknown>> | null;
  if (typeof candidate === 'object' && candidate !== null) {
    if (
      typeof candidate.exec === 'function' &&
      typeof candidate.transaction === 'function' &&
      typeof candidate.listen === 'function'
    ) {
      return createPgliteDriver(client as PGliteInterface);
    }
    if (typeof candidate.connect === 'function' && 'totalCount' in candidate && 'idleCount' in candidate) {
      return createPgDriver(client as Pool, options);
    }
  }
  throw new InvalidArgumentError({
    argument: 'client',
    value: client,
    problem: 'must be a pg Pool or a PGlite instance',
  });
}
