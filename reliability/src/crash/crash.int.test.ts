import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEverything } from '../support/events.js';
import { createPool, databaseUrl, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, timeoutFor } from '../support/soak.js';
import {
  buildPackages,
  type CrashBackend,
  killLeftovers,
  type ReadModel,
  runCrashScenario,
  runProcessCrashScenario,
} from './crash-harness.js';

const kills = scale(8, 120);
// Each kill waits up to 0.6 s and restarts a process (about 0.3 s).
const scenarioMs = kills * 1_500;
// Process-manager worker kills: each waits up to 0.4 s after the worker started (about 0.3 s).
const processKills = scale(6, 120);
const processScenarioMs = processKills * 1_000;

beforeAll(buildPackages, 180_000);
afterAll(killLeftovers);

describe('SIGKILLed writer and projector processes', () => {
  it(
    'on one SQLite file: the read model equals a full replay, nothing applied twice, nothing acknowledged lost',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hindsight-crash-'));
      try {
        const backend = await sqliteBackend(folder);
        const figures = await runCrashScenario(backend, kills);
        expect(figures.lost).toBe(0);
        expect(figures.duplicated).toBe(0);
        recordFigures('crash', 'sqlite', figures);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
    timeoutFor(scenarioMs),
  );

  it(
    'catches a broken consumer: effect and checkpoint committed apart apply events twice after kills',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hindsight-crash-broken-'));
      try {
        // Without an fsync per commit: the broken consumer commits twice per event.
        const backend = await sqliteBackend(folder, 'normal');
        await expect(runCrashScenario(backend, 6, { brokenProjector: true })).rejects.toThrow();
        const model = await backend.readModel();
        expect(model.applied.length).toBeGreaterThan(new Set(model.applied.map((row) => row.position)).size);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
    timeoutFor(6 * 1_500),
  );

  it(
    'on PostgreSQL: the read model equals a full replay, nothing applied twice, nothing acknowledged lost',
    async () => {
      const postgres = await postgresBackend();
      try {
        const figures = await runCrashScenario(postgres.backend, kills);
        expect(figures.lost).toBe(0);
        expect(figures.duplicated).toBe(0);
        recordFigures('crash', 'postgres', figures);
      } finally {
        await postgres.dispose();
      }
    },
    timeoutFor(scenarioMs),
  );
});

describe('a SIGKILLed process-manager worker', () => {
  it(
    'on one SQLite file: every step sends its command exactly once, none missing, none twice',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hindsight-crash-process-'));
      try {
        const backend = await sqliteBackend(folder);
        const figures = await runProcessCrashScenario(backend, processKills);
        expect(figures.lost).toBe(0);
        expect(figures.duplicated).toBe(0);
        recordFigures('crash-process-manager', 'sqlite', figures);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
    timeoutFor(processScenarioMs),
  );

  it(
    'catches a broken process manager: a command sent apart from the step is sent twice after kills',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hindsight-crash-process-broken-'));
      try {
        const backend = await sqliteBackend(folder, 'normal');
        await expect(runProcessCrashScenario(backend, 8, { broken: true })).rejects.toThrow();
        const causes = (await backend.readLog())
          .filter((event) => event.streamType === 'Tally')
          .map((event) => String(event.metadata.causationId));
        expect(causes.length).toBeGreaterThan(new Set(causes).size);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
    timeoutFor(8 * 1_000),
  );

  it(
    'on PostgreSQL: every step sends its command exactly once, none missing, none twice',
    async () => {
      const postgres = await postgresBackend();
      try {
        const figures = await runProcessCrashScenario(postgres.backend, processKills);
        expect(figures.lost).toBe(0);
        expect(figures.duplicated).toBe(0);
        recordFigures('crash-process-manager', 'postgres', figures);
      } finally {
        await postgres.dispose();
      }
    },
    timeoutFor(processScenarioMs),
  );
});

/** A fresh PostgreSQL schema with the read-model tables, how the scenario reads it, and its removal. */
async function postgresBackend(): Promise<{ backend: CrashBackend; dispose(): Promise<void> }> {
  const schema = uniqueName('hs_rel_crash');
  const pool = createPool({ max: 3 });
  const storage = createPostgresStorage({ client: pool, schema });
  const dispose = async (): Promise<void> => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  };
  try {
    await storage.migrate();
  } catch (error) {
    await dispose();
    throw error;
  }
  const quoted = `"${schema}"`;
  await pool.query(`
    CREATE TABLE ${quoted}.rm_totals (stream_id text PRIMARY KEY, total bigint NOT NULL,
      events bigint NOT NULL, last_version bigint NOT NULL);
    CREATE TABLE ${quoted}.rm_applied (seq bigserial PRIMARY KEY, position bigint NOT NULL,
      event_id text NOT NULL);
    CREATE TABLE ${quoted}.rm_anomalies (position bigint NOT NULL, note text NOT NULL);`);
  const backend: CrashBackend = {
    name: 'postgres',
    workerOptions: { url: databaseUrl, schema },
    readLog: () => readEverything(storage),
    async readModel(): Promise<ReadModel> {
      const totals = await pool.query<{
        stream_id: string;
        total: string;
        events: string;
        last_version: string;
      }>(`SELECT stream_id, total, events, last_version FROM ${quoted}.rm_totals`);
      const applied = await pool.query<{ position: string; event_id: string }>(
        `SELECT position, event_id FROM ${quoted}.rm_applied ORDER BY seq`,
      );
      const anomalies = await pool.query<{ position: string; note: string }>(
        `SELECT position, note FROM ${quoted}.rm_anomalies`,
      );
      return {
        totals: new Map(
          totals.rows.map((row) => [
            row.stream_id,
            {
              total: Number(row.total),
              events: Number(row.events),
              lastVersion: Number(row.last_version),
            },
          ]),
        ),
        applied: applied.rows.map((row) => ({ position: Number(row.position), eventId: row.event_id })),
        anomalies: anomalies.rows.map((row) => `${row.position}: ${row.note}`),
      };
    },
    loadCheckpoint: (consumerId) => storage.loadCheckpoint(consumerId),
  };
  return { backend, dispose };
}

function sqliteReadModel(db: Database.Database): ReadModel {
  const totals = db.prepare('SELECT stream_id, total, events, last_version FROM rm_totals').all() as {
    stream_id: string;
    total: number;
    events: number;
    last_version: number;
  }[];
  const applied = db.prepare('SELECT position, event_id FROM rm_applied ORDER BY seq').all() as {
    position: number;
    event_id: string;
  }[];
  const anomalies = db.prepare('SELECT position, note FROM rm_anomalies').all() as {
    position: number;
    note: string;
  }[];
  return {
    totals: new Map(
      totals.map((row) => [
        row.stream_id,
        { total: row.total, events: row.events, lastVersion: row.last_version },
      ]),
    ),
    applied: applied.map((row) => ({ position: row.position, eventId: row.event_id })),
    anomalies: anomalies.map((row) => `${row.position}: ${row.note}`),
  };
}

/** A fresh SQLite file with the read-model tables, and how the scenario reads it. */
async function sqliteBackend(folder: string, synchronous: 'full' | 'normal' = 'full'): Promise<CrashBackend> {
  const path = join(folder, 'crash.db');
  await createSqliteStorage({ path }).close();
  const setup = new Database(path);
  setup.exec(`
      CREATE TABLE rm_totals (stream_id TEXT PRIMARY KEY, total INTEGER NOT NULL, events INTEGER NOT NULL,
        last_version INTEGER NOT NULL);
      CREATE TABLE rm_applied (seq INTEGER PRIMARY KEY AUTOINCREMENT, position INTEGER NOT NULL,
        event_id TEXT NOT NULL);
      CREATE TABLE rm_anomalies (position INTEGER NOT NULL, note TEXT NOT NULL);`);
  setup.close();
  return {
    name: 'sqlite',
    workerOptions: { path, synchronous },
    async readLog() {
      const storage = createSqliteStorage({ path });
      try {
        return await readEverything(storage);
      } finally {
        await storage.close();
      }
    },
    async readModel() {
      const db = new Database(path, { readonly: true });
      try {
        return sqliteReadModel(db);
      } finally {
        db.close();
      }
    },
    async loadCheckpoint(consumerId) {
      const storage = createSqliteStorage({ path });
      try {
        return await storage.loadCheckpoint(consumerId);
      } finally {
        await storage.close();
      }
    },
  };
}
