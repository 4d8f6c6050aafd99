import {
  type Consumer,
  createEventStore,
  createInMemoryStorage,
  createProjectionRunner,
  createRepository,
  type EventStorage,
} from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import pg from 'pg';
import { Account } from './bank.js';
import { defineSqliteBalances } from './projections.js';

/** Where the events live, as a deployment configures it. */
export type StorageConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'memory' };

// #region open-storage
/** Opens the configured storage; `close` lets go of everything it holds. */
export async function openStorage(config: StorageConfig): Promise<{
  storage: EventStorage;
  close: () => Promise<void>;
}> {
  switch (config.kind) {
    case 'sqlite': {
      const storage = createSqliteStorage({ path: config.path }); // migrates on open
      return { storage, close: () => storage.close() };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: config.url });
      const storage = createPostgresStorage({ client: pool, schema: 'hindsight' });
      await storage.migrate(); // safe from every instance: one applies, the others wait and find nothing
      const close = async () => {
        await storage.close(); // stops listening for appends
        await pool.end(); // the pool is yours: the storage never ends it
      };
      return { storage, close };
    }
    case 'memory': {
      const storage = createInMemoryStorage();
      return { storage, close: () => storage.close() };
    }
  }
}
// #endregion open-storage

/** Two processes sharing one SQLite file, each running the same projection: one works, one stands by. */
export async function leasesTour(path: string, print: (line: string) => void): Promise<void> {
  const SqliteBalances = defineSqliteBalances();
  // #region leases
  // Two processes on one SQLite file (here two connections), running the same projection.
  const processA = createEventStore({ storage: createSqliteStorage({ path }), events: [Account] });
  const processB = createEventStore({ storage: createSqliteStorage({ path }), events: [Account] });
  const a = createProjectionRunner(processA, SqliteBalances, {
    lease: { owner: 'host-a:1201', ttlMs: 10_000 }, // a standby takes over within ttlMs of the owner dying
  });
  const b = createProjectionRunner(processB, SqliteBalances, {
    lease: { owner: 'host-b:877', ttlMs: 10_000 },
  });
  await a.start();
  await b.start();
  const { lease } = await b.status();
  print(`b holds the lease: ${lease?.held}; it stands by for ${lease?.holder}`);

  await a.stop(); // releases the lease: b takes over without waiting for it to expire
  // #endregion leases
  for (let tries = 0; tries < 200 && !(await b.status()).lease?.held; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  print(`after a stopped, b holds the lease: ${(await b.status()).lease?.held}`);
  await createRepository(processA, Account).execute('ada', (account) =>
    account.open({ owner: 'Ada' }).deposit({ amount: 7 }),
  );
  await b.waitUntilCaughtUp();
  print(`b projected the deposit: ${(await b.status()).handled} event(s)`);
  await b.stop();
  await processA.close();
  await processB.close();
}

// #region shutdown
/** Stops the consumers, then the store, once, however often it is called. */
export function createShutdown(
  consumers: readonly Consumer[],
  close: () => Promise<void>,
): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      // Each finishes the event in hand, commits its checkpoint and gives its lease up.
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await close(); // the store and what it holds (a pool is yours to end)
    })();
    return done;
  };
}

/** On SIGTERM (an orchestrator stopping the container) or Ctrl-C, shut down, then exit. */
export function exitOnSignals(
  shutdown: () => Promise<void>,
  host: Pick<NodeJS.Process, 'once' | 'exit'> = process,
): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    host.once(signal, () => {
      shutdown().then(
        () => host.exit(0),
        (error: unknown) => {
          console.error('shutdown failed', error);
          host.exit(1);
        },
      );
    });
  }
}
// #endregion shutdown
