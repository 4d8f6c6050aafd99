import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppendRequest,
  createInMemoryStorage,
  type EventStorage,
  HindsightError,
  type StoredEvent,
} from '@hindsight/core';
import { createPostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, timeoutFor } from '../support/soak.js';
import { type Operation, operationArbitrary, toRequests } from './operations.js';

const runs = scale(150, 2_000);
const maxOperations = scale(40, 80);

/** A storage under test, and how to close it and open it again on the same data. */
interface Subject {
  readonly name: string;
  storage: EventStorage;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** What a caller can observe of an event: all but the timestamp (the clocks differ). */
function observe(event: StoredEvent) {
  const { timestamp: _timestamp, ...rest } = event;
  return rest;
}

type Observation = { readonly ok: unknown } | { readonly error: string };

async function observeOperation(
  subject: Subject,
  operation: Operation,
  request: AppendRequest | undefined,
): Promise<Observation> {
  const { storage } = subject;
  try {
    switch (operation.kind) {
      case 'append':
      case 'retryLastAppend': {
        if (request === undefined) return { ok: 'no append yet' };
        const result = await storage.append(request);
        return { ok: { ...result, events: result.events.map(observe) } };
      }
      case 'readStream': {
        const { streamId, direction, minVersion, maxVersion, limit } = operation;
        const page = await storage.readStream(streamId, {
          direction,
          limit,
          ...(minVersion === undefined ? {} : { minVersion }),
          ...(maxVersion === undefined ? {} : { maxVersion }),
        });
        return { ok: page.map(observe) };
      }
      case 'readAll': {
        const { after, upTo, limit, types, streamTypes } = operation;
        const page = await storage.readAll({
          after,
          limit,
          ...(upTo === undefined ? {} : { upTo }),
          ...(types === undefined ? {} : { types }),
          ...(streamTypes === undefined ? {} : { streamTypes }),
        });
        return { ok: page.map(observe) };
      }
      case 'streamInfo':
        return { ok: (await storage.streamInfo(operation.streamId)) ?? null };
      case 'headPosition':
        return { ok: await storage.headPosition() };
      case 'saveSnapshot': {
        const { streamId, streamType, version, schemaVersion, state } = operation;
        await storage.saveSnapshot({
          streamId,
          streamType,
          version,
          schemaVersion,
          state,
          timestamp: new Date(0),
        });
        return { ok: null };
      }
      case 'loadSnapshot': {
        const snapshot = await storage.loadSnapshot(operation.streamId);
        if (snapshot === undefined) return { ok: null };
        const { timestamp: _timestamp, ...rest } = snapshot;
        return { ok: rest };
      }
      case 'saveCheckpoint':
        await storage.saveCheckpoint(operation.consumerId, operation.position);
        return { ok: null };
      case 'loadCheckpoint':
        return { ok: (await storage.loadCheckpoint(operation.consumerId)) ?? null };
      case 'restart':
        await subject.restart();
        return { ok: null };
    }
  } catch (error) {
    if (error instanceof HindsightError) return { error: error.code };
    return { error: `not a HindsightError: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Positions are compared by rank, not value: the port promises strictly increasing positions, not
 * contiguous ones (PostgreSQL may skip values a refused append took). A rank is the number of events
 * at or below a position; generated positions (`after`, `upTo`) are ranks too, turned into each
 * storage's own positions before the call.
 */
async function logPositions(storage: EventStorage): Promise<number[]> {
  return (await storage.readAll({ after: 0, limit: 100_000 })).map((event) => event.position);
}

function positionOfRank(positions: readonly number[], rank: number): number {
  if (rank <= 0) return 0;
  if (rank <= positions.length) return positions[rank - 1] as number;
  return (positions.at(-1) ?? 0) + (rank - positions.length);
}

function rankOf(positions: readonly number[], position: number): number {
  return positions.filter((stored) => stored <= position).length;
}

function toPositions(operation: Operation, positions: readonly number[]): Operation {
  if (operation.kind !== 'readAll') return operation;
  return {
    ...operation,
    after: positionOfRank(positions, operation.after),
    upTo: operation.upTo === undefined ? undefined : positionOfRank(positions, operation.upTo),
  };
}

function toRanks(operation: Operation, observation: Observation, positions: readonly number[]): Observation {
  if (!('ok' in observation)) return observation;
  const rankEvent = (event: unknown) => {
    const stored = event as { position: number };
    return { ...stored, position: rankOf(positions, stored.position) };
  };
  const ok = observation.ok as Record<string, unknown> | unknown[] | number | null;
  switch (operation.kind) {
    case 'append':
    case 'retryLastAppend': {
      if (typeof ok !== 'object' || ok === null || Array.isArray(ok)) return observation;
      const result = ok as { position: number; events: unknown[] };
      return {
        ok: { ...result, position: rankOf(positions, result.position), events: result.events.map(rankEvent) },
      };
    }
    case 'readStream':
    case 'readAll':
      return { ok: (ok as unknown[]).map(rankEvent) };
    case 'headPosition':
      return { ok: rankOf(positions, ok as number) };
    default:
      return observation;
  }
}

async function observeAll(subject: Subject, operations: readonly Operation[]): Promise<Observation[]> {
  const requests = toRequests(operations);
  const observations: Observation[] = [];
  for (const [index, operation] of operations.entries()) {
    const before = await logPositions(subject.storage);
    const observation = await observeOperation(subject, toPositions(operation, before), requests[index]);
    observations.push(toRanks(operation, observation, await logPositions(subject.storage)));
  }
  return observations;
}

describe('model-based: memory, SQLite and PostgreSQL observe the same', () => {
  const pool = createPool({ max: 4 });
  const folder = mkdtempSync(join(tmpdir(), 'hindsight-model-'));
  let operationsTried = 0;
  let runsDone = 0;
  let restarts = 0;
  let errorsCompared = 0;
  let appendsStored = 0;

  afterAll(async () => {
    await pool.end();
    rmSync(folder, { recursive: true, force: true });
  });

  function memory(): Subject {
    // Memory cannot outlive a close: its restart keeps the instance, the model the others must match.
    return {
      name: 'memory',
      storage: createInMemoryStorage(),
      restart: async () => undefined,
      dispose: async () => undefined,
    };
  }

  function sqlite(run: number): Subject {
    const path = join(folder, `model-${run}.db`);
    const subject: Subject = {
      name: 'sqlite',
      storage: createSqliteStorage({ path }),
      async restart() {
        await subject.storage.close();
        subject.storage = createSqliteStorage({ path });
      },
      async dispose() {
        await subject.storage.close();
        rmSync(path, { force: true });
        rmSync(`${path}-wal`, { force: true });
        rmSync(`${path}-shm`, { force: true });
      },
    };
    return subject;
  }

  async function postgres(): Promise<Subject> {
    const schema = uniqueName('hs_rel_model');
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    const subject: Subject = {
      name: 'postgres',
      storage,
      async restart() {
        await subject.storage.close();
        subject.storage = createPostgresStorage({ client: pool, schema });
      },
      async dispose() {
        await subject.storage.close();
        await dropSchema(pool, schema);
      },
    };
    return subject;
  }

  it(
    'random appends (right and wrong expected versions, batches, reused ids), reads, snapshots, checkpoints and restarts',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(operationArbitrary, { minLength: 5, maxLength: maxOperations, size: 'max' }),
          async (operations) => {
            runsDone += 1;
            const subjects = [memory(), sqlite(runsDone), await postgres()];
            try {
              const [expected, ...others] = await Promise.all(
                subjects.map((subject) => observeAll(subject, operations)),
              );
              for (const [index, observed] of others.entries()) {
                expect({ storage: subjects[index + 1]?.name, observed }).toEqual({
                  storage: subjects[index + 1]?.name,
                  observed: expected,
                });
              }
              operationsTried += operations.length;
              restarts += operations.filter((operation) => operation.kind === 'restart').length;
              errorsCompared += (expected ?? []).filter((observation) => 'error' in observation).length;
              appendsStored += (expected ?? []).filter(
                (observation, index) =>
                  'ok' in observation && operations[index]?.kind === 'append' && observation.ok !== null,
              ).length;
            } finally {
              for (const subject of subjects) await subject.dispose();
            }
          },
        ),
        { numRuns: runs },
      );
      // The generator must reach the interesting paths, not only refusals.
      expect(appendsStored).toBeGreaterThan(runs);
      expect(restarts).toBeGreaterThan(0);
      recordFigures('model', 'memory+sqlite+postgres', {
        runs,
        operations: operationsTried,
        storageRestarts: restarts,
        appendsStored,
        refusalsCompared: errorsCompared,
        divergences: 0,
      });
    },
    timeoutFor(scale(60_000, 1_800_000)),
  );
});
