import type { PGliteInterface } from '@electric-sql/pglite';
import { InvalidArgumentError } from '@hindsight/core';
import type { Pool } from 'pg';
import type { Driver, DriverOptions } from './driver.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';

/** Recognises the client by shape, so neither driver package is imported at runtime. */
export function createDriver(client: Pool | PGliteInterface, options: DriverOptions): Driver {
  const candidate = client as Partial<Record<string, unknown>> | null;
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
