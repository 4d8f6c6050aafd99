// The install test's third app, for the packages around the store: an in-memory store traced by
// @hindsight/opentelemetry (the API without an SDK, as a library sees it) whose events
// @hindsight/nats forwards to JetStream when a NATS URL is given. It exits non-zero on any surprise.
import { createEventStore, createInMemoryStorage, createRepository, defineAggregate } from '@hindsight/core';
import { createNatsForwarder, eventSubject } from '@hindsight/nats';
import { createOpenTelemetryInstrumentation } from '@hindsight/opentelemetry';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';

const Parcel = defineAggregate('Parcel')
  .events({ Sent: z.object({ to: z.string().min(1) }) })
  .initialState(() => ({ to: undefined as string | undefined }))
  .evolve({ Sent: (_state, { data }) => ({ to: data.to }) })
  .commands({ send: (_state, input: { to: string }) => ({ type: 'Sent', data: input }) });

const store = createEventStore({
  storage: createInMemoryStorage(),
  events: [Parcel],
  instrumentation: createOpenTelemetryInstrumentation(),
});
await createRepository(store, Parcel).execute('p-1', 'send', { to: 'Lyon' });
const subject = eventSubject('parcels', 'Parcel', 'Sent');
if (subject !== 'parcels.Parcel.Sent') throw new Error(`unexpected subject ${subject}`);

const natsUrl = process.argv[2];
if (natsUrl === undefined) {
  console.log('traced 1 command; NATS not tried');
} else {
  const connection = await connect({ servers: natsUrl, timeout: 3_000 });
  const stream = `install_test_${process.pid}_${Date.now()}`;
  const manager = await jetstreamManager(connection);
  try {
    const forwarder = createNatsForwarder(store, { connection, stream, subjectPrefix: stream });
    await forwarder.start();
    await forwarder.waitUntilCaughtUp();
    await forwarder.stop();
    const { state } = await manager.streams.info(stream);
    if (state.messages !== 1) throw new Error(`JetStream holds ${state.messages} messages, not 1`);
    console.log('traced 1 command; forwarded 1 event to JetStream');
  } finally {
    await manager.streams.delete(stream).catch(() => false);
    await connection.close();
  }
}
await store.close();
