// The app the install test compiles and runs in a third fresh project, against the packages as
// published: a command traced through @hindsight/opentelemetry (the API alone, no SDK: every span is
// a no-op), its events forwarded by @hindsight/nats to a JetStream stream of its own, then read back.
// It exits non-zero on any surprise. NATS: HINDSIGHT_NATS_URL (default nats://127.0.0.1:4222).
import { randomUUID } from 'node:crypto';
import { createEventStore, createInMemoryStorage, createRepository, defineAggregate } from '@hindsight/core';
import { createNatsForwarder } from '@hindsight/nats';
import { createOpenTelemetryInstrumentation } from '@hindsight/opentelemetry';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';

const Parcel = defineAggregate('Parcel')
  .events({ Sent: z.object({ to: z.string() }), Delivered: z.object({}) })
  .initialState(() => ({ sent: false }))
  .evolve({ Sent: () => ({ sent: true }), Delivered: (state) => state })
  .commands({
    send: (_state, input: { to: string }) => ({ type: 'Sent', data: input }),
    deliver: () => ({ type: 'Delivered', data: {} }),
  });

const store = createEventStore({
  storage: createInMemoryStorage(),
  events: [Parcel],
  instrumentation: createOpenTelemetryInstrumentation(),
});
const parcels = createRepository(store, Parcel);
await parcels.execute('p-1', (parcel) => parcel.send({ to: 'Ada' }).deliver(), {
  metadata: { correlationId: 'order-7' },
});

const connection = await connect({ servers: process.env.HINDSIGHT_NATS_URL ?? 'nats://127.0.0.1:4222' });
const stream = `install_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const manager = await jetstreamManager(connection);
try {
  const forwarder = createNatsForwarder(store, { connection, stream, subjectPrefix: stream });
  await forwarder.start();
  await forwarder.waitUntilCaughtUp();
  await forwarder.stop();
  const { state } = await manager.streams.info(stream);
  const last = await manager.streams.getMessage(stream, { seq: state.last_seq });
  const subject = last?.subject;
  const correlation = last?.header.get('Hindsight-Correlation-Id');
  if (state.messages !== 2 || subject !== `${stream}.Parcel.Delivered` || correlation !== 'order-7') {
    throw new Error(
      `expected 2 messages, the last on ${stream}.Parcel.Delivered correlated to order-7: ${state.messages}, ${subject}, ${correlation}`,
    );
  }
  console.log(`forwarded ${state.messages} events to JetStream, the last on ${subject}`);
} finally {
  await manager.streams.delete(stream).catch(() => false);
  await connection.close();
  await store.close();
}
