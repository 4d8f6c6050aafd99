import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPostgresStorage } from '@hindsight/postgres';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../crash/crash-harness.js';
import { createRandom, readEverything, sleep, startRandomWriter } from '../support/events.js';
import { createPool, databaseUrl, dropSchema, uniqueName } from '../support/postgres.js';
import { recordFigures } from '../support/results.js';
import { scale, timeoutFor } from '../support/soak.js';

const natsUrl = process.env.HINDSIGHT_NATS_URL ?? 'nats://127.0.0.1:4222';
const workerPath = fileURLToPath(new URL('../../fixtures/nats-forwarder-worker.mjs', import.meta.url));
const kills = scale(8, 120);
const ttlMs = 300;
const running = new Set<ChildProcess>();

beforeAll(buildPackages, 180_000);
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

interface Forwarder {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly messages: string[];
}

function startForwarder(options: Record<string, unknown>): Forwarder {
  const child = fork(workerPath, [JSON.stringify(options)], {
    // Not vitest's flags: they would resolve the packages to their TypeScript sources.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const messages: string[] = [];
  child.on('message', (message) => messages.push((message as { kind: string }).kind));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, messages };
}

/** The event id of every message of the JetStream stream, in stream order. */
async function publishedEventIds(manager: JetStreamManager, stream: string): Promise<string[]> {
  const { state } = await manager.streams.info(stream);
  const ids: string[] = [];
  for (let sequence = state.first_seq; state.messages > 0 && sequence <= state.last_seq; sequence += 1) {
    const message = await manager.streams.getMessage(stream, { seq: sequence });
    if (message !== null) ids.push(message.header.get('Hindsight-Event-Id'));
  }
  return ids;
}

/** Resolves true once the stream grows (a forwarder is publishing), false after `timeoutMs`. */
async function publishing(manager: JetStreamManager, stream: string, timeoutMs: number): Promise<boolean> {
  const before = await lastSequence(manager, stream);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(2);
    if ((await lastSequence(manager, stream)) > before) return true;
  }
  return false;
}

async function lastSequence(manager: JetStreamManager, stream: string): Promise<number> {
  const info = await manager.streams.info(stream).catch(() => undefined);
  return info?.state.last_seq ?? 0;
}

describe('forwarding to NATS JetStream through SIGKILLed forwarder processes', () => {
  it(
    'ends with every event in the JetStream stream exactly once, in order',
    async () => {
      const pool = createPool();
      const schema = uniqueName('hs_nats');
      const stream = uniqueName('hs_nats');
      const connection = await connect({ servers: natsUrl, timeout: 3_000 });
      const manager = await jetstreamManager(connection);
      const storage = createPostgresStorage({ client: pool, schema });
      try {
        await storage.migrate();
        const random = createRandom(Date.now());
        const workerOptions = { url: databaseUrl, schema, natsUrl, stream, ttlMs };

        const writer = startRandomWriter(storage, random, { streams: 8, pauseEvery: 8, pauseMs: 1 });

        let forwarder = startForwarder({ ...workerOptions, worker: randomUUID() });
        let killedWhilePublishing = 0;
        for (let kill = 0; kill < kills; kill += 1) {
          // Killed while it publishes a page, mostly: those events are in JetStream and its
          // checkpoint is not saved, the case a restart must not repeat.
          if (await publishing(manager, stream, 5_000)) killedWhilePublishing += 1;
          await sleep(random() * 20);
          forwarder.child.kill('SIGKILL');
          expect(await forwarder.exited).toEqual({ code: null, signal: 'SIGKILL' });
          forwarder = startForwarder({ ...workerOptions, worker: randomUUID() });
        }
        const appends = await writer.stop();
        forwarder.child.kill('SIGKILL');
        await forwarder.exited;

        const last = startForwarder({ ...workerOptions, worker: randomUUID(), untilCaughtUp: true });
        expect(await last.exited).toEqual({ code: 0, signal: null });
        expect(last.messages).toContain('caught-up');

        const log = await readEverything(storage);
        const publishedIds = await publishedEventIds(manager, stream);
        const duplicated = publishedIds.length - new Set(publishedIds).size;
        const logged = new Set(log.map((event) => event.eventId));
        const lost = log.filter((event) => !publishedIds.includes(event.eventId)).length;
        expect({ duplicated, lost }).toEqual({ duplicated: 0, lost: 0 });
        // The global order, hence every stream's version order.
        expect(publishedIds).toEqual(log.map((event) => event.eventId));
        expect(publishedIds.every((id) => logged.has(id))).toBe(true);
        recordFigures('nats-forward', 'postgres', {
          kills,
          killedWhilePublishing,
          appends,
          events: log.length,
          published: publishedIds.length,
          lost,
          duplicated,
        });
      } finally {
        await manager.streams.delete(stream).catch(() => false);
        await connection.close();
        await storage.close();
        await dropSchema(pool, schema);
        await pool.end();
      }
    },
    timeoutFor(kills * 1_500),
  );
});
