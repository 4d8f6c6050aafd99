import {
  type Consumer,
  createEventStore,
  createInMemoryStorage,
  createProjectionRunner,
  createRepository,
  type EventStorage,
  type SignalSource,
  shutdownOnSignals,
} from '@hindsight/core';
import { createNatsForwarder } from '@hindsight/nats';
import { createOpenTelemetryInstrumentation } from '@hindsight/opentelemetry';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import { connect } from '@nats-io/transport-node';
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

/** Two processes sharing one partitioned projection: each runs its share, one hands over on stop. */
export async function partitionsTour(path: string, print: (line: string) => void): Promise<void> {
  const SqliteBalances = defineSqliteBalances();
  const processA = createEventStore({ storage: createSqliteStorage({ path }), events: [Account] });
  const processB = createEventStore({ storage: createSqliteStorage({ path }), events: [Account] });
  const accounts = createRepository(processA, Account);
  for (const owner of ['ada', 'bob', 'cy', 'dee', 'eve', 'fay']) {
    await accounts.execute(owner, (account) => account.open({ owner }).deposit({ amount: 5 }));
  }
  // #region partitions
  // The same projection in two processes, split into four partitions by a hash of the stream id.
  const a = createProjectionRunner(processA, SqliteBalances, {
    partitions: 4,
    lease: { owner: 'host-a:1201', ttlMs: 2_000 }, // a dead instance's partitions move after ttlMs
  });
  const b = createProjectionRunner(processB, SqliteBalances, {
    partitions: 4,
    lease: { owner: 'host-b:877', ttlMs: 2_000 },
  });
  await a.start();
  await b.start(); // joins: within a quarter of ttlMs the instances split the partitions
  // #endregion partitions
  const owners = async () => ((await a.status()).partitions ?? []).map((p) => p.owner ?? 'nobody');
  const settled = async (expected: readonly string[]) => {
    const now = await owners();
    return now.every((owner) => expected.includes(owner)) && expected.every((owner) => now.includes(owner));
  };
  for (let tries = 0; tries < 200 && !(await settled(['host-a:1201', 'host-b:877'])); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await a.waitUntilCaughtUp();
  // #region partition-status
  for (const { index, owner, position, lag } of (await a.status()).partitions ?? []) {
    print(`partition ${index}: ${owner ?? 'nobody'} at ${position}, ${lag.events} behind`);
  }
  await b.stop(); // hands its partitions over: a takes them within a quarter of ttlMs
  // #endregion partition-status
  for (let tries = 0; tries < 200 && !(await settled(['host-a:1201'])); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  print(`after b stopped: ${[...new Set(await owners())].join(', ')}`);
  await a.stop();
  await processA.close();
  await processB.close();
}

/** A store whose commands, appends and consumer pages are traced with OpenTelemetry. */
export function tracedStore(storage: EventStorage) {
  // #region tracing
  const store = createEventStore({
    storage,
    events: [Account],
    // Spans and metrics through @opentelemetry/api: set up the SDK as for the rest of the app.
    instrumentation: createOpenTelemetryInstrumentation(),
  });
  // #endregion tracing
  return store;
}

/** Publishes the store's events to JetStream for other services (not run by the tests: needs NATS). */
export async function forwardToNats(storage: EventStorage, url: string) {
  const store = createEventStore({ storage, events: [Account] });
  // #region nats
  const connection = await connect({ servers: url });
  const forwarder = createNatsForwarder(store, {
    connection,
    stream: 'BANK', // created if missing; the event id is the message id
    subjectPrefix: 'bank', // subjects bank.<stream type>.<event type>
    lease: { owner: 'host-a:1201' }, // one instance publishes, the others stand by
  });
  await forwarder.start();
  // #endregion nats
  return async () => {
    await forwarder.stop();
    await connection.close();
  };
}

/**
 * On SIGTERM (an orchestrator stopping the container) or Ctrl-C: stops the consumers, closes the
 * store, then exits. Returns the disposer of the signal handlers.
 */
export function exitOnSignals(
  consumers: readonly Consumer[],
  store: { close(): Promise<void> },
  exit: (code: number) => void = (code) => process.exit(code),
  source: SignalSource = process,
): () => void {
  // #region shutdown
  return shutdownOnSignals({
    consumers, // each finishes its page, commits its checkpoint and gives its lease up
    store, // closed once they all stopped (a pg pool stays yours to end)
    onShutdown: ({ signal, errors }) => {
      for (const error of errors) console.error(`shutdown after ${signal}:`, error);
      exit(errors.length === 0 ? 0 : 1);
    },
    source, // process; a test passes its own
  });
  // #endregion shutdown
}
