import { createPostgresStorage } from '@hindsight/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { timeoutFor } from '../support/soak.js';
import { runGapTorture, writeForMs, writerCount } from './gap-torture.js';

describe('gap torture on PostgreSQL', () => {
  // One connection per writer (plus room for refusal checks); the subscribers are separate
  // storages on their own pool, as in other processes: they learn of commits through NOTIFY only.
  const writerPool = createPool({ max: writerCount + 2 });
  const subscriberPool = createPool({ max: 8 });
  const schema = uniqueName('hs_rel_gaps');

  afterAll(async () => {
    await dropSchema(writerPool, schema);
    await writerPool.end();
    await subscriberPool.end();
  });

  it(
    '16 writers, three subscribers on other storages: each sees exactly the committed events after its start',
    async () => {
      const writer = createPostgresStorage({ client: writerPool, schema });
      await writer.migrate();
      const subscribers = [0, 1, 2].map(() => createPostgresStorage({ client: subscriberPool, schema }));
      try {
        const figures = await runGapTorture({
          writerStorages: [writer],
          subscriberStorages: subscribers as [
            (typeof subscribers)[0],
            (typeof subscribers)[0],
            (typeof subscribers)[0],
          ],
        });
        expect(figures.lost).toBe(0);
        expect(figures.duplicated).toBe(0);
        recordFigures('gap-torture', 'postgres', figures);
      } finally {
        await writer.close();
        for (const subscriber of subscribers) await subscriber.close();
      }
    },
    timeoutFor(writeForMs),
  );
});
