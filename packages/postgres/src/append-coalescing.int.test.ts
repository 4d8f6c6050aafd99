import { randomUUID } from 'node:crypto';
import {
  type AppendRequest,
  type AppendResult,
  ConcurrencyError,
  PayloadNotSerializableError,
} from '@hindsight/core';
import { storageConformanceCases } from '@hindsight/core/testing';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, type PostgresStorage } from './index.js';
import { createTestPool, dropSchema, uniqueSchema } from './test-helpers.js';

function request(
  streamId: string,
  expectedVersion: AppendRequest['expectedVersion'],
  count = 1,
): AppendRequest {
  return {
    streamId,
    streamType: 'Account',
    expectedVersion,
    events: Array.from({ length: count }, (_, index) => ({
      eventId: randomUUID(),
      type: 'Deposited',
      data: { amount: index + 1 },
      metadata: {},
    })),
  };
}

/** A one-event append whose payload PostgreSQL's jsonb refuses (a NUL character). */
function unstorableRequest(
  streamId: string,
  expectedVersion: AppendRequest['expectedVersion'],
): AppendRequest {
  const fine = request(streamId, expectedVersion);
  return {
    ...fine,
    events: [{ ...(fine.events[0] as AppendRequest['events'][number]), data: { note: 'a\u0000b' } }],
  };
}

/** Counts the statements the pool runs, by name (the append statements are named). */
function countStatements(pool: pg.Pool): { readonly names: string[]; stop(): void } {
  const names: string[] = [];
  const original = pool.query.bind(pool);
  pool.query = ((config: unknown, ...rest: unknown[]) => {
    const name = (config as { name?: unknown } | null)?.name;
    if (typeof name === 'string') names.push(name);
    return (original as (...args: unknown[]) => unknown)(config, ...rest);
  }) as typeof pool.query;
  return {
    names,
    stop: () => {
      pool.query = original;
    },
  };
}

describe('PostgreSQL storage: coalesced appends (group commit)', () => {
  let pool: pg.Pool;
  const schema = uniqueSchema('hs_coalesce');
  let storage: PostgresStorage;

  beforeAll(async () => {
    pool = createTestPool();
    storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
  });

  afterAll(async () => {
    await storage.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('sends appends that arrive together in fewer statements, each with its own result', async () => {
    const counter = countStatements(pool);
    let results: AppendResult[];
    try {
      results = await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          storage.append(request(`together-${index}`, 'no_stream', 2)),
        ),
      );
    } finally {
      counter.stop();
    }
    const appendStatements = counter.names.filter((name) => name.startsWith('hindsight_append'));
    expect(appendStatements.some((name) => name.startsWith('hindsight_append_batch'))).toBe(true);
    expect(appendStatements.length).toBeLessThan(24);
    for (const [index, result] of results.entries()) {
      expect(result.streamId).toBe(`together-${index}`);
      expect(result.version).toBe(2);
      expect(result.events.map((event) => event.version)).toEqual([1, 2]);
      // An acknowledged append is committed: a read on another connection finds it.
      expect(await storage.readStream(`together-${index}`, { direction: 'forward', limit: 10 })).toEqual(
        result.events,
      );
    }
    const positions = results.flatMap((result) => result.events.map((event) => event.position));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('sends the appends of one turn of the event loop as one statement, the first one included', async () => {
    const counter = countStatements(pool);
    try {
      await Promise.all(
        Array.from({ length: 16 }, (_, index) => storage.append(request(`one-turn-${index}`, 'no_stream'))),
      );
      // Writers woken by those results append again in the same turn: again one statement.
      await Promise.all(
        Array.from({ length: 16 }, (_, index) => storage.append(request(`one-turn-${index}`, 1))),
      );
    } finally {
      counter.stop();
    }
    expect(counter.names.filter((name) => name.startsWith('hindsight_append'))).toEqual([
      expect.stringMatching(/^hindsight_append_batch/),
      expect.stringMatching(/^hindsight_append_batch/),
    ]);
  });

  it('refuses one append of a batch without failing its neighbours', async () => {
    await storage.append(request('refused-1', 'no_stream'));
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, index) =>
        storage.append(request(`neighbour-a-${index}`, 'no_stream')),
      ),
      storage.append(request('refused-1', 'no_stream')),
      storage.append(request('refused-1', 5)),
      ...Array.from({ length: 6 }, (_, index) => storage.append(request(`neighbour-b-${index}`, 'any'))),
    ]);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected).toHaveLength(2);
    for (const outcome of rejected) expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(12);
    expect((await storage.streamInfo('refused-1'))?.version).toBe(1);
  });

  it('refuses an append to a closed stream, or with an archived event id, without failing its neighbours', async () => {
    await storage.append(request('closed-1', 'no_stream'));
    await storage.lifecycle?.close('closed-1', { reason: 'test', at: new Date() });
    const archivedFirst = request('archived-1', 'no_stream');
    await storage.append(archivedFirst);
    await storage.append(request('archived-1', 'any'));
    const moved = await storage.lifecycle?.archive('archived-1', 1);
    expect(moved?.map((event) => event.eventId)).toEqual([archivedFirst.events[0]?.eventId]);
    const reused = { ...request('reuser-1', 'no_stream'), events: archivedFirst.events };
    const counter = countStatements(pool);
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, index) => storage.append(request(`open-a-${index}`, 'any'))),
      storage.append(request('closed-1', 'any')),
      storage.append(reused),
      ...Array.from({ length: 6 }, (_, index) => storage.append(request(`open-b-${index}`, 'any'))),
    ]).finally(() => counter.stop());
    expect(counter.names.some((name) => name.startsWith('hindsight_append_batch'))).toBe(true);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(12);
    const [closed, reuse] = outcomes.slice(6, 8);
    expect(closed?.status === 'rejected' && closed.reason.code).toBe('STREAM_CLOSED');
    expect(reuse?.status === 'rejected' && reuse.reason.code).toBe('EVENT_ID_CONFLICT');
    expect((await storage.streamInfo('closed-1'))?.version).toBe(1);
    expect(await storage.streamInfo('reuser-1')).toBeUndefined();
  });

  it('checks each expected-version mode on its own within one statement', async () => {
    for (const name of ['m-any', 'm-exists', 'm-exact', 'm-typed', 'm-exists-bad', 'm-exact-bad']) {
      await storage.append(request(name, 'no_stream', 2));
    }
    // The first append occupies the statement slots, so the rest queue and go as one batch.
    const wrongType: AppendRequest = { ...request('m-typed', 'any'), streamType: 'Other' };
    const counter = countStatements(pool);
    let outcomes: PromiseSettledResult<AppendResult>[];
    try {
      outcomes = await Promise.allSettled([
        storage.append(request('m-first-a', 'no_stream')),
        storage.append(request('m-first-b', 'no_stream')),
        storage.append(request('m-any', 'any', 3)),
        storage.append(request('m-exists', 'stream_exists')),
        storage.append(request('m-exact', 2)),
        storage.append(request('m-new-zero', 0)),
        storage.append(request('m-new-any', 'any')),
        storage.append(wrongType),
        storage.append(request('m-exists-none', 'stream_exists')),
        storage.append(request('m-exact-bad', 1)),
        storage.append(request('m-exists-bad', 'no_stream')),
      ]);
    } finally {
      counter.stop();
    }
    expect(counter.names.some((name) => name.startsWith('hindsight_append_batch'))).toBe(true);
    const versions = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value.version : outcome.reason.code,
    );
    expect(versions).toEqual([
      1,
      1,
      5,
      3,
      3,
      1,
      1,
      'STREAM_TYPE_MISMATCH',
      'CONCURRENCY_CONFLICT',
      'CONCURRENCY_CONFLICT',
      'CONCURRENCY_CONFLICT',
    ]);
    const any = await storage.readStream('m-any', { direction: 'forward', limit: 10 });
    expect(any.map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
    expect(any.map((event) => event.position)).toEqual(
      [...any.map((event) => event.position)].sort((a, b) => a - b),
    );
    expect(await storage.streamInfo('m-exists-none')).toBeUndefined();
    expect((await storage.streamInfo('m-typed'))?.streamType).toBe('Account');
  });

  it('orders appends of one stream as if sent one after the other', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => storage.append(request('same-stream', 'any'))),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, index) => index + 1),
    );
    const exact = await Promise.allSettled(
      Array.from({ length: 6 }, () => storage.append(request('same-stream', 10))),
    );
    expect(exact.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect((await storage.streamInfo('same-stream'))?.version).toBe(11);
  });

  it('refuses writers racing on a stream without sending the appends its committed append outdated', async () => {
    await storage.append(request('race', 'no_stream'));
    const counter = countStatements(pool);
    let outcomes: PromiseSettledResult<AppendResult>[];
    try {
      outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => storage.append(request('race', 1))),
      );
    } finally {
      counter.stop();
    }
    const written = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(written).toHaveLength(1);
    for (const outcome of outcomes.filter((outcome) => outcome.status === 'rejected')) {
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ streamId: 'race', expectedVersion: 1, actualVersion: 2 });
    }
    // One append statement, the winner's: the seven others were refused without being sent, and
    // each read why (one statement each), as after a refusal by the database.
    const refusalReads = counter.names.filter((name) => name.startsWith('hindsight_append_refusal'));
    expect(counter.names.filter((name) => name.startsWith('hindsight_append'))).toHaveLength(
      1 + refusalReads.length,
    );
    expect(refusalReads).toHaveLength(7);
    expect(
      (await storage.readStream('race', { direction: 'forward', limit: 10 })).map((e) => e.version),
    ).toEqual([1, 2]);
  });

  it('sends a waiting append that may still be right once the append before it is answered', async () => {
    await storage.append(request('queue', 'no_stream'));
    const first = request('queue', 1);
    const retryOfFirst: AppendRequest = { ...request('queue', 1), events: first.events };
    const [written, next, any, exists, otherType, retried, outdated] = await Promise.allSettled([
      storage.append(first),
      storage.append(request('queue', 2)),
      storage.append(request('queue', 'any')),
      storage.append(request('queue', 'stream_exists')),
      storage.append({ ...request('queue', 1), streamType: 'Ledger' }),
      storage.append(retryOfFirst),
      storage.append(request('queue', 'no_stream')),
    ]);
    expect(written).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    expect(next).toMatchObject({ status: 'fulfilled', value: { version: 3 } });
    expect(any).toMatchObject({ status: 'fulfilled' });
    expect(exists).toMatchObject({ status: 'fulfilled' });
    expect(otherType).toMatchObject({ status: 'rejected', reason: { code: 'STREAM_TYPE_MISMATCH' } });
    expect(retried).toMatchObject({ status: 'fulfilled', value: { alreadyStored: true, version: 2 } });
    expect(outdated).toMatchObject({
      status: 'rejected',
      reason: { code: 'CONCURRENCY_CONFLICT', expectedVersion: 'no_stream' },
    });
    expect((await storage.streamInfo('queue'))?.version).toBe(5);
  });

  it('sends the next append of a stream when the one before it was refused or failed', async () => {
    await storage.append(request('after-refusal', 'no_stream'));
    const [refused, next] = await Promise.allSettled([
      storage.append(request('after-refusal', 0)),
      storage.append(request('after-refusal', 1)),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { actualVersion: 1 } });
    expect(next).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    const [failed, after] = await Promise.allSettled([
      storage.append(unstorableRequest('after-refusal', 2)),
      storage.append(request('after-refusal', 2)),
    ]);
    expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(PayloadNotSerializableError);
    expect(after).toMatchObject({ status: 'fulfilled', value: { version: 3 } });
  });

  it('a reused event id or an unstorable payload fails its own append only', async () => {
    const stored = await storage.append(request('reused', 'no_stream'));
    const retry: AppendRequest = {
      ...request('reused', 'no_stream'),
      events: stored.events.map((event) => ({
        eventId: event.eventId,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      })),
    };
    const stolen: AppendRequest = { ...request('thief', 'no_stream'), events: retry.events };
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 4 }, (_, index) => storage.append(request(`fine-a-${index}`, 'no_stream'))),
      storage.append(retry),
      storage.append(stolen),
      storage.append(unstorableRequest('unstorable', 'no_stream')),
      ...Array.from({ length: 4 }, (_, index) => storage.append(request(`fine-b-${index}`, 'no_stream'))),
    ]);
    const [retried, thief, unstorableOutcome] = outcomes.slice(4, 7);
    expect(retried).toMatchObject({ status: 'fulfilled', value: { alreadyStored: true, version: 1 } });
    expect(thief?.status).toBe('rejected');
    expect(unstorableOutcome).toMatchObject({ status: 'rejected' });
    expect((unstorableOutcome as PromiseRejectedResult).reason).toBeInstanceOf(PayloadNotSerializableError);
    for (const outcome of [...outcomes.slice(0, 4), ...outcomes.slice(7)])
      expect(outcome.status).toBe('fulfilled');
    expect(await storage.streamInfo('thief')).toBeUndefined();
    expect(await storage.streamInfo('unstorable')).toBeUndefined();
  });

  it('runs appends one statement each with coalesceAppends: false', async () => {
    const alone = createPostgresStorage({ client: pool, schema, coalesceAppends: false });
    const counter = countStatements(pool);
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, index) => alone.append(request(`alone-${index}`, 'no_stream'))),
      );
    } finally {
      counter.stop();
      await alone.close();
    }
    const appendStatements = counter.names.filter((name) => name.startsWith('hindsight_append'));
    expect(appendStatements).toHaveLength(8);
    expect(appendStatements.every((name) => !name.startsWith('hindsight_append_batch'))).toBe(true);
  });
});

describe('PostgreSQL storage: core conformance with coalescing off', () => {
  const pool = createTestPool();
  const schemas: string[] = [];

  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(pool, schema);
  });
  afterAll(() => pool.end());

  const cases = storageConformanceCases({
    create: async () => {
      const schema = uniqueSchema('hs_nocoalesce');
      schemas.push(schema);
      const storage = createPostgresStorage({ client: pool, schema, coalesceAppends: false });
      await storage.migrate();
      return storage;
    },
  });
  for (const testCase of cases) it(testCase.name, (context) => testCase.run(context));
});
