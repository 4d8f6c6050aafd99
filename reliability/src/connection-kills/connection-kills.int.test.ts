import { execFileSync } from 'node:child_process';
import type { StoredEvent } from '@hindsight/core';
import { createPostgresStorage, type PostgresStorage } from '@hindsight/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendRequest,
  createRandom,
  expectConsistentLog,
  preparedEvents,
  readEverything,
  sleep,
} from '../support/events.js';
import { createPool, databaseUrl, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, soak, timeoutFor } from '../support/soak.js';
import { classifyError, describeError, type ErrorKind } from './classify-error.js';

const writeForMs = scale(4_000, 120_000);
const writers = 8;
const listenKills = scale(5, 60);
const maxAttemptsPerAppend = 200;

interface Outcome {
  readonly acknowledged: StoredEvent[];
  readonly errors: Record<ErrorKind, number>;
  /** Where the error came from: the append statement, or the hook's own query on the transaction. */
  readonly errorSamples: Map<string, number>;
  /** Retries that found their events already committed (the acknowledgement had been lost). */
  alreadyStored: number;
  /** Successful appends sent again anyway, as if their acknowledgement had been lost. */
  resent: number;
  appends: number;
  retries: number;
}

/** Terminates every backend of `applicationName` now and then; returns how many it terminated. */
function startKiller(applicationName: string, random: () => number) {
  const admin = new pg.Client({ connectionString: databaseUrl, application_name: 'hs_rel_killer' });
  let running = true;
  let kills = 0;
  const done = (async () => {
    await admin.connect();
    try {
      while (running) {
        await sleep(20 + random() * 120);
        const { rows } = await admin.query<{ killed: boolean }>(
          'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        kills += rows.filter((row) => row.killed).length;
      }
    } finally {
      await admin.end();
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await done;
      return kills;
    },
  };
}

/**
 * Each writer owns a stream and appends at exact expected versions; when an append fails it is
 * retried with the same event ids and expected version until it succeeds, so an append whose
 * acknowledgement was lost must come back as `alreadyStored` and never be written twice.
 */
async function writeThroughKills(storage: PostgresStorage, random: () => number): Promise<Outcome> {
  const outcome: Outcome = {
    acknowledged: [],
    errors: { typed: 0, 'raw-pg': 0, other: 0 },
    errorSamples: new Map(),
    alreadyStored: 0,
    resent: 0,
    appends: 0,
    retries: 0,
  };
  const deadline = Date.now() + writeForMs;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const streamId = `writer-${writer}`;
      let version = 0;
      while (Date.now() < deadline) {
        const events = preparedEvents(random() < 0.5 ? 1 : 1 + Math.floor(random() * 10), (n) => ({
          writer,
          n,
        }));
        const request = appendRequest(streamId, events, version);
        // Every third writer appends with a hook that queries on the transaction, so kills also
        // land between BEGIN and COMMIT and inside the hook.
        const withHook = writer % 3 === 2;
        let resending = false;
        let stored: readonly StoredEvent[] = [];
        for (let attempt = 1; ; attempt += 1) {
          try {
            const result = await storage.append(
              request,
              withHook
                ? async (transaction) => {
                    await transaction.query('SELECT pg_sleep(0.002)');
                  }
                : undefined,
            );
            if (attempt > 1 && result.alreadyStored) outcome.alreadyStored += 1;
            if (resending) {
              // The earlier success is found and returned as it was stored; nothing is written.
              expect(result.alreadyStored).toBe(true);
              expect(result.events.map((event) => event.position)).toEqual(
                stored.map((event) => event.position),
              );
              outcome.resent += 1;
              break;
            }
            outcome.acknowledged.push(...result.events);
            stored = result.events;
            version = result.version;
            outcome.appends += 1;
            // A lost acknowledgement is rare with one-statement appends (the kill must land between
            // commit and reply), so one success in ten is sent again, through the same kills.
            if (random() < 0.1) {
              resending = true;
              attempt = 0;
              continue;
            }
            break;
          } catch (error) {
            const kind = classifyError(error);
            outcome.errors[kind] += 1;
            const sample = `${kind} (${withHook ? 'append with hook' : 'append'}): ${describeError(error)}`;
            outcome.errorSamples.set(sample, (outcome.errorSamples.get(sample) ?? 0) + 1);
            if (attempt >= maxAttemptsPerAppend) throw error;
            outcome.retries += 1;
            await sleep(5 + random() * 20);
          }
        }
      }
    }),
  );
  return outcome;
}

async function expectEveryAcknowledgedEventOnce(
  schema: string,
  outcome: Outcome,
): Promise<{ events: number; lost: number; duplicated: number }> {
  const pool = createPool({ max: 2 });
  const reader = createPostgresStorage({ client: pool, schema });
  try {
    const committed = await readEverything(reader);
    expectConsistentLog(committed);
    const committedIds = new Map(committed.map((event) => [event.eventId, event]));
    const lost = outcome.acknowledged.filter((event) => !committedIds.has(event.eventId));
    expect(lost).toEqual([]);
    // Nothing was committed that was not acknowledged: every append was retried until it was.
    expect(committed.length).toBe(outcome.acknowledged.length);
    for (const event of outcome.acknowledged) {
      const stored = committedIds.get(event.eventId);
      expect({ eventId: event.eventId, version: stored?.version, position: stored?.position }).toEqual({
        eventId: event.eventId,
        version: event.version,
        position: event.position,
      });
    }
    return {
      events: committed.length,
      lost: lost.length,
      duplicated: committed.length - committedIds.size,
    };
  } finally {
    await reader.close();
    await pool.end();
  }
}

describe('PostgreSQL connections killed under load', () => {
  const schema = uniqueName('hs_rel_kills');
  const cleanup = createPool({ max: 1 });
  afterAll(async () => {
    await dropSchema(cleanup, schema);
    await cleanup.end();
  });

  it(
    'writers get retryable errors or succeed; retried with the same ids, every acknowledged event is stored once',
    async () => {
      const applicationName = uniqueName('hs_rel_writers');
      const pool = createPool({ max: writers + 2, applicationName });
      const storage = createPostgresStorage({ client: pool, schema });
      await storage.migrate();
      const random = createRandom(Date.now());
      const killer = startKiller(applicationName, random);
      let outcome: Outcome;
      let connectionKills: number;
      try {
        outcome = await writeThroughKills(storage, random);
      } finally {
        connectionKills = await killer.stop();
        await storage.close();
        await pool.end();
      }
      const checked = await expectEveryAcknowledgedEventOnce(schema, outcome);
      const samples = [...outcome.errorSamples].map(([sample, count]) => `${count}× ${sample}`);
      console.info(
        `connection kills: ${connectionKills}; errors seen by writers:\n  ${samples.join('\n  ')}`,
      );
      expect(connectionKills).toBeGreaterThan(0);
      expect(outcome.retries).toBeGreaterThan(0);
      expect(outcome.resent).toBeGreaterThan(0);
      // Every failure was a connection failure, typed or raw; none was something else.
      expect({ other: outcome.errors.other, samples }).toEqual({ other: 0, samples });
      recordFigures('connection-kills', 'postgres', {
        writers,
        appends: outcome.appends,
        events: checked.events,
        connectionKills,
        failedAttempts: outcome.retries,
        typedErrors: outcome.errors.typed,
        rawDriverErrors: outcome.errors['raw-pg'],
        retriesFoundAlreadyStored: outcome.alreadyStored,
        successesResentWithSameIds: outcome.resent,
        lost: checked.lost,
        duplicated: checked.duplicated,
      });
    },
    timeoutFor(writeForMs),
  );

  it(
    'onAppended keeps working after its LISTEN connection is terminated, again and again',
    async () => {
      const applicationName = uniqueName('hs_rel_listener');
      const listenerPool = createPool({ max: 3, applicationName });
      const writerPool = createPool({ max: 2 });
      const listening = createPostgresStorage({
        client: listenerPool,
        schema,
        onError: () => (lostCount += 1),
      });
      const writing = createPostgresStorage({ client: writerPool, schema });
      await writing.migrate();
      let lostCount = 0;
      let head = 0;
      const stop = listening.onAppended((position) => {
        head = Math.max(head, position);
      });
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      const listenBackend = async (): Promise<number | undefined> => {
        const { rows } = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
          [applicationName],
        );
        return rows[0]?.pid;
      };
      const waitFor = async (condition: () => Promise<boolean> | boolean, what: string): Promise<void> => {
        const deadline = Date.now() + 15_000;
        while (!(await condition())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await sleep(10);
        }
      };
      try {
        const reconnectMs: number[] = [];
        await waitFor(async () => (await listenBackend()) !== undefined, 'the first LISTEN');
        for (let kill = 0; kill < listenKills; kill += 1) {
          const pid = (await listenBackend()) as number;
          const killedAt = Date.now();
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          await waitFor(async () => {
            const next = await listenBackend();
            return next !== undefined && next !== pid;
          }, 'a new LISTEN connection');
          reconnectMs.push(Date.now() - killedAt);
          // Another storage (as another process) appends: only NOTIFY can tell the listener.
          const result = await writing.append(
            appendRequest(
              'listened',
              preparedEvents(1, () => ({ kill })),
            ),
          );
          await waitFor(() => head >= result.position, `the notification of position ${result.position}`);
        }
        expect(head).toBe(await writing.headPosition());
        expect(lostCount).toBeGreaterThanOrEqual(listenKills);
        recordFigures('listen-kills', 'postgres', {
          listenConnectionKills: listenKills,
          notificationsAfterReconnect: listenKills,
          slowestReconnectMs: Math.max(...reconnectMs),
          lost: 0,
        });
      } finally {
        stop();
        await admin.end();
        await listening.close();
        await writing.close();
        await listenerPool.end();
        await writerPool.end();
      }
    },
    timeoutFor(listenKills * 2_000),
  );

  // A real server restart needs root on the database host: soak mode only, never in CI.
  if (soak) {
    it(
      'a PostgreSQL restart mid-load: writers get retryable errors, then succeed; nothing lost or doubled',
      async () => {
        const applicationName = uniqueName('hs_rel_restart');
        const pool = createPool({ max: writers + 2, applicationName });
        const restartSchema = uniqueName('hs_rel_restart');
        const storage = createPostgresStorage({ client: pool, schema: restartSchema });
        await storage.migrate();
        const random = createRandom(Date.now());
        let restarts = 0;
        const restarting = (async () => {
          for (let round = 0; round < 3; round += 1) {
            await sleep(writeForMs / 4);
            execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'restart'], {
              stdio: 'inherit',
            });
            restarts += 1;
          }
        })();
        let outcome: Outcome;
        try {
          outcome = await writeThroughKills(storage, random);
        } finally {
          await restarting;
          await storage.close();
          await pool.end();
        }
        const checked = await expectEveryAcknowledgedEventOnce(restartSchema, outcome);
        expect(outcome.errors.other).toBe(0);
        recordFigures('server-restarts', 'postgres', {
          restarts,
          appends: outcome.appends,
          events: checked.events,
          failedAttempts: outcome.retries,
          typedErrors: outcome.errors.typed,
          rawDriverErrors: outcome.errors['raw-pg'],
          lost: checked.lost,
          duplicated: checked.duplicated,
        });
        await dropSchema(cleanup, restartSchema);
      },
      timeoutFor(writeForMs * 2),
    );
  }
});
