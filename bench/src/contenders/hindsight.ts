import { setTimeout as sleep } from 'node:timers/promises';
import {
  createEventStore,
  createProjectionRunner,
  createRepository,
  createSubscription,
  defineAggregate,
  defineProjection,
  type EventStorage,
  evolving,
  isHindsightError,
} from '@hindsight/core';
import { z } from 'zod';
import {
  type AccountState,
  accountStream,
  type BalanceDelta,
  type BenchEvent,
  balanceDeltas,
  type CatchUpResult,
  type ContenderKey,
  deposit,
  evolveAccount,
  initialAccount,
  type SnapshottingContender,
} from './contender.js';

/** Snapshot interval of the snapshotted account: a load reads a snapshot and fewer than 100 events. */
export const snapshotEvery = 100;

const Account = defineAggregate('Account')
  .events({
    Deposited: z.object({ amount: z.number(), note: z.string(), seq: z.number().int() }),
  })
  .initialState(initialAccount)
  .evolve({ Deposited: evolveAccount })
  .commands({
    deposit: (_state, input: { amount: number }) => deposit(-1, input.amount),
  });

/**
 * The same events as a later version of the application sees them: `Deposited` evolved once (the
 * amount became cents), so every stored event, written as version 1, passes one upcaster on read.
 */
const EvolvedAccount = defineAggregate('Account')
  .events({
    Deposited: evolving(z.object({ amount: z.number(), note: z.string(), seq: z.number().int() })).to(
      2,
      z.object({ amountCents: z.number().int(), note: z.string(), seq: z.number().int() }),
      ({ amount, note, seq }) => ({ amountCents: Math.round(amount * 100), note, seq }),
    ),
  })
  .initialState(initialAccount)
  .evolve({ Deposited: (state) => state })
  .commands({});

/** A storage for Hindsight, built by one factory per backend (memory, PostgreSQL, SQLite). */
export interface HindsightBackend {
  readonly key: ContenderKey;
  readonly label: string;
  readonly note: string;
  readonly storage: EventStorage<unknown>;
  /** The read model scenario 6b projects into, in the storage's own database. */
  readonly balances?: BalancesReadModel;
  /** Frees what the storage does not own (pools, files). */
  readonly dispose?: () => Promise<void>;
}

/** A backend's balances table: created per trial, written through the projection's transaction. */
export interface BalancesReadModel {
  /** Creates the trial's table; returns its name. */
  create(trial: number): Promise<string>;
  upsert(transaction: unknown, table: string, deltas: readonly BalanceDelta[]): Promise<void>;
  totals(table: string): Promise<CatchUpResult>;
}

/**
 * Hindsight through its public API: `createEventStore` (validated appends, paged reads) and
 * `createRepository` (aggregate loads, with and without snapshots).
 */
export function createHindsightContender(backend: HindsightBackend): SnapshottingContender {
  const store = createEventStore({ storage: backend.storage, events: [Account] });
  const evolvedStore = createEventStore({ storage: backend.storage, events: [EvolvedAccount] });
  const accounts = createRepository(store, Account);
  const snapshotted = createRepository(store, Account.withSnapshots({ every: snapshotEvery }));
  let latencySubscriptions = 0;

  return {
    key: backend.key,
    label: backend.label,
    note: backend.note,
    consumerNote:
      "createSubscription (core's consumer runner, startFrom 'end'): woken by the storage's append signal, reads after its checkpoint, saves the checkpoint in a transaction per event",

    async append(id, events, expectedVersion) {
      try {
        const result = await store.append(accountStream(id), events as BenchEvent[], {
          streamType: 'Account',
          expectedVersion,
        });
        return { ok: true, version: result.version };
      } catch (error) {
        if (isHindsightError(error, 'CONCURRENCY_CONFLICT')) {
          return { ok: false, actualVersion: error.actualVersion };
        }
        throw error;
      }
    },

    async streamVersion(id) {
      return (await store.streamInfo(accountStream(id)))?.version ?? 0;
    },

    async readStream(id) {
      let count = 0;
      for await (const _event of store.readStream(accountStream(id), { pageSize: 1000 })) count += 1;
      return count;
    },

    async readStreamUpcast(id) {
      let count = 0;
      for await (const _event of evolvedStore.readStream(accountStream(id), { pageSize: 1000 })) count += 1;
      return count;
    },

    async executeDeposit(id) {
      await accounts.execute(id, 'deposit', { amount: 1 });
    },

    async loadAggregate(id) {
      return (await accounts.load(id)).state;
    },

    async seedSnapshotted(id, events) {
      let version = 0;
      while (version < events - 1) {
        const size = Math.min(1000, events - 1 - version);
        const batch = Array.from({ length: size }, (_, index) => deposit(version + index));
        const result = await store.append(accountStream(id), batch, {
          streamType: 'Account',
          expectedVersion: version,
        });
        version = result.version;
      }
      // The last event goes through the repository, whose policy saves the snapshot.
      await snapshotted.execute(id, 'deposit', { amount: 1 });
    },

    async loadSnapshotted(id): Promise<AccountState> {
      return (await snapshotted.load(id)).state;
    },

    async catchUp(pageSize, deadline): Promise<CatchUpResult> {
      let events = 0;
      let balance = 0;
      for await (const event of store.readAll({ pageSize })) {
        events += 1;
        balance += (event.data as BenchEvent['data']).amount;
        if (events % pageSize === 0 && performance.now() > deadline) break;
      }
      return { events, balance };
    },

    ...(backend.balances === undefined ? {} : { project: projectInto(backend.balances) }),

    async subscribe(onEvent) {
      latencySubscriptions += 1;
      const subscription = createSubscription(store, {
        name: `bench-latency-${latencySubscriptions}`,
        startFrom: 'end',
        handle: (event) => onEvent(event.data.seq),
      });
      await subscription.start();
      return () => subscription.stop();
    },

    async close() {
      await store.close();
      await backend.dispose?.();
    },
  };

  /**
   * An async projection through core's runner, as an application would write it: a batch handler
   * that upserts a page's balances in one statement, in the transaction of the page's checkpoint.
   */
  function projectInto(balances: BalancesReadModel): NonNullable<SnapshottingContender['project']> {
    return async (trial, pageSize, deadline) => {
      const table = await balances.create(trial);
      const projection = defineProjection(`balances-${trial}`, { from: [Account] }).onBatch(
        ['Deposited'],
        (events, { transaction }) => balances.upsert(transaction, table, balanceDeltas(events)),
      );
      const runner = createProjectionRunner(store, projection, { batchSize: pageSize });
      const budget = new AbortController();
      await runner.start();
      try {
        await Promise.race([
          runner.waitUntilCaughtUp(),
          sleep(Math.max(0, deadline - performance.now()), undefined, { signal: budget.signal }),
        ]);
      } finally {
        budget.abort();
        await runner.stop();
      }
      return balances.totals(table);
    };
  }
}
