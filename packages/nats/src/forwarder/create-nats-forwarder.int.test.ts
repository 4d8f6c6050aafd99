import {
  createEventStore,
  createInMemoryStorage,
  defineStreamType,
  type EventStore,
  isEncryptedValue,
  isHindsightError,
  personal,
  type StoredEvent,
} from '@hindsight/core';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectTestServer,
  deleteStream,
  readStreamMessages,
  uniqueStreamName,
} from '../test-support/jetstream.js';
import { createNatsForwarder } from './create-nats-forwarder.js';

const Account = defineStreamType('Account', {
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount: z.number() }),
});
const Audit = defineStreamType('Audit.Log', { 'Noted.v2': z.object({ text: z.string() }) });

let connection: NatsConnection;
let manager: JetStreamManager;
const streams: string[] = [];

beforeAll(async () => {
  connection = await connectTestServer();
  manager = await jetstreamManager(connection);
});

afterAll(async () => {
  for (const stream of streams) await deleteStream(manager, stream);
  await connection?.close();
});

function setup(): { store: EventStore<[typeof Account, typeof Audit]>; stream: string } {
  const stream = uniqueStreamName();
  streams.push(stream);
  return { store: createEventStore({ storage: createInMemoryStorage(), events: [Account, Audit] }), stream };
}

async function appendHistory(
  store: EventStore<[typeof Account, typeof Audit]>,
  accounts: number,
  deposits: number,
) {
  for (let account = 0; account < accounts; account += 1) {
    await store.append(`a-${account}`, [{ type: 'Opened', data: { owner: `owner ${account}` } }], {
      streamType: 'Account',
      metadata: { correlationId: `corr-${account}`, causationId: `cause ${account}` },
    });
  }
  for (let deposit = 0; deposit < deposits; deposit += 1) {
    await store.append(`a-${deposit % accounts}`, [{ type: 'Deposited', data: { amount: deposit } }], {
      streamType: 'Account',
    });
  }
}

async function storedEvents(store: EventStore<[typeof Account, typeof Audit]>): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

describe('createNatsForwarder', () => {
  it('publishes every event once, in order, with subjects by stream and event type and its ids in headers', async () => {
    const { store, stream } = setup();
    await appendHistory(store, 3, 12);
    await store.append('log "1"', [{ type: 'Noted.v2', data: { text: 'hello' } }], {
      streamType: 'Audit.Log',
    });
    const forwarder = createNatsForwarder(store, { connection, stream, subjectPrefix: stream, batchSize: 4 });
    await forwarder.start();
    await appendHistory(store, 2, 4); // live, after the catch-up
    await forwarder.waitUntilCaughtUp();
    await forwarder.stop();

    const stored = await storedEvents(store);
    const messages = await readStreamMessages(connection, stream);
    expect(messages.map((message) => message.event.eventId)).toEqual(stored.map((event) => event.eventId));
    expect(messages[0]?.subject).toBe(`${stream}.Account.Opened`);
    const audit = messages.find((message) => message.event.streamType === 'Audit.Log');
    expect(audit?.subject).toBe(`${stream}.Audit%2ELog.Noted%2Ev2`);
    expect(audit?.event.streamId).toBe('log "1"');
    expect(audit?.headers['Hindsight-Stream-Id']).toBe(encodeURIComponent('log "1"'));
    const first = messages[0];
    expect(first?.headers['Nats-Msg-Id']).toBe(stored[0]?.eventId);
    expect(first?.headers['Hindsight-Correlation-Id']).toBe('corr-0');
    // Header values are ASCII on one line: ids travel URI-encoded.
    expect(first?.headers['Hindsight-Causation-Id']).toBe('cause%200');
    expect(first?.headers['Hindsight-Position']).toBe(String(stored[0]?.position));
    expect(first?.event).toMatchObject({ type: 'Opened', version: 1, data: { owner: 'owner 0' } });
  });

  it('repeats nothing when a forwarder without checkpoint restarts after the duplicate window', async () => {
    const { store, stream } = setup();
    await appendHistory(store, 2, 6);
    // A 100 ms duplicate window (the least JetStream takes): only the forwarder's own reading of the stream's end prevents repeats.
    const streamConfig = { duplicate_window: 100_000_000 };
    const first = createNatsForwarder(store, {
      connection,
      stream,
      subjectPrefix: stream,
      name: 'first',
      streamConfig,
    });
    await first.start();
    await first.waitUntilCaughtUp();
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await appendHistory(store, 1, 2);
    // Another name: no checkpoint, so it reads the whole log again.
    const second = createNatsForwarder(store, { connection, stream, subjectPrefix: stream, name: 'second' });
    await second.start();
    await second.waitUntilCaughtUp();
    await second.stop();

    const stored = await storedEvents(store);
    const ids = (await readStreamMessages(connection, stream)).map((message) => message.event.eventId);
    expect(ids).toEqual(stored.map((event) => event.eventId));
  });

  it('stores each event once when two forwarders race on one stream without a lease', async () => {
    const { store, stream } = setup();
    const streamConfig = { duplicate_window: 100_000_000 };
    const options = {
      connection,
      stream,
      subjectPrefix: stream,
      lease: false as const,
      batchSize: 3,
      streamConfig,
    };
    const racers = [
      createNatsForwarder(store, { ...options, name: 'racer-a', retry: { initialDelayMs: 1 } }),
      createNatsForwarder(store, { ...options, name: 'racer-b', retry: { initialDelayMs: 1 } }),
    ];
    for (const racer of racers) await racer.start();
    await Promise.all([appendHistory(store, 4, 40)]);
    for (const racer of racers) await racer.waitUntilCaughtUp();
    for (const racer of racers) await racer.stop();

    const stored = await storedEvents(store);
    const ids = (await readStreamMessages(connection, stream)).map((message) => message.event.eventId);
    expect(ids).toEqual(stored.map((event) => event.eventId));
  });

  it('refuses a JetStream stream that holds other subjects, naming it', async () => {
    const { store, stream } = setup();
    await manager.streams.add({ name: stream, subjects: [`${stream}.other.>`] });
    const forwarder = createNatsForwarder(store, { connection, stream, subjectPrefix: stream });
    const error = await forwarder.start().catch((caught: unknown) => caught);
    expect(isHindsightError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(error)).toContain(stream);
  });

  it('refuses to go on when the stream ends with a message it did not publish', async () => {
    const { store, stream } = setup();
    await appendHistory(store, 1, 1);
    const forwarder = createNatsForwarder(store, {
      connection,
      stream,
      subjectPrefix: stream,
      retry: { attempts: 1 },
    });
    await forwarder.start();
    await forwarder.waitUntilCaughtUp();
    await forwarder.stop();
    await jetstream(connection).publish(`${stream}.Account.Opened`, 'not an event');
    await appendHistory(store, 1, 0);
    await forwarder.start();
    await expect(forwarder.waitUntilCaughtUp()).rejects.toThrow(/not published by a forwarder/);
    await forwarder.stop();
  });

  it('refuses partitions, which would publish out of order and skip events behind another partition', () => {
    const { store, stream } = setup();
    // @ts-expect-error the type says it first
    const forwarding = () => createNatsForwarder(store, { connection, stream, partitions: 2 });
    expect(forwarding).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'partitions' }));
    expect(forwarding).toThrow(new RegExp(stream));
  });

  it('refuses a subject prefix NATS would split or match as a wildcard', () => {
    const { store } = setup();
    expect(() => createNatsForwarder(store, { connection, stream: 'x', subjectPrefix: 'orders.*' })).toThrow(
      /subjectPrefix/,
    );
  });
});

describe('createNatsForwarder and personal data', () => {
  const Member = defineStreamType('Member', {
    Joined: personal(z.object({ memberId: z.string(), email: z.string() }), {
      subject: (data) => data.memberId,
      fields: ['email'],
    }),
  });
  const email = 'nats.personal@example.com';

  it('publishes what its store reads: plaintext through the definitions, envelopes from a store without them', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Member] });
    await store.append('Member-m-1', [{ type: 'Joined', data: { memberId: 'm-1', email } }], {
      streamType: 'Member',
    });
    const forwardedBy = async (from: EventStore, name: string) => {
      const stream = uniqueStreamName();
      streams.push(stream);
      const forwarder = createNatsForwarder(from, { connection, stream, subjectPrefix: stream, name });
      await forwarder.start();
      await forwarder.waitUntilCaughtUp();
      await forwarder.stop();
      return (await readStreamMessages(connection, stream)).map((message) => message.event.data);
    };
    // Through the definitions: decrypted, so JetStream holds a copy that forget cannot reach.
    expect(await forwardedBy(store, 'decrypted')).toEqual([{ memberId: 'm-1', email }]);
    // Without them: as stored, the email an envelope that only the store's key opens.
    const [stored] = await forwardedBy(createEventStore({ storage, events: [] }), 'as-stored');
    expect(JSON.stringify(stored)).not.toContain(email);
    expect(isEncryptedValue((stored as { email?: unknown }).email)).toBe(true);
    await store.close();
  });
});
