import { createEventStore, createInMemoryStorage, createRepository, defineAggregate } from '@hindsight/core';
import { createOpenTelemetryInstrumentation } from '@hindsight/opentelemetry';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { context, defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectTestServer,
  deleteStream,
  readStreamMessages,
  uniqueStreamName,
} from '../test-support/jetstream.js';
import { createNatsForwarder } from './create-nats-forwarder.js';

const Cart = defineAggregate('Cart')
  .events({ ItemAdded: z.object({ sku: z.string() }) })
  .initialState(() => ({ items: [] as string[] }))
  .evolve({ ItemAdded: (state, { data }) => ({ items: [...state.items, data.sku] }) })
  .commands({ add: (_state, input: { sku: string }) => ({ type: 'ItemAdded', data: input }) });

const contextManager = new AsyncLocalStorageContextManager();
let connection: NatsConnection;
let manager: JetStreamManager;
const stream = uniqueStreamName('hs_trace');

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  connection = await connectTestServer();
  manager = await jetstreamManager(connection);
});
afterAll(async () => {
  await deleteStream(manager, stream);
  await connection?.close();
  context.disable();
});

describe('trace context through NATS', () => {
  it('lets a service on the other side of JetStream link its span to the command that caused the event', async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const tracer = provider.getTracer('test');
    const store = createEventStore({
      storage: createInMemoryStorage(),
      events: [Cart],
      instrumentation: createOpenTelemetryInstrumentation({ tracer }),
    });
    await createRepository(store, Cart).execute('cart-1', 'add', { sku: 'apple' });
    const forwarder = createNatsForwarder(store, { connection, stream, subjectPrefix: stream });
    await forwarder.start();
    await forwarder.waitUntilCaughtUp();
    await forwarder.stop();

    // The other service knows nothing of Hindsight: it reads the W3C headers with OpenTelemetry's
    // own propagator, as it would for any traced message.
    const [message] = await readStreamMessages(connection, stream);
    const carried = new W3CTraceContextPropagator().extract(
      ROOT_CONTEXT,
      message?.headers ?? {},
      defaultTextMapGetter,
    );
    const cause = trace.getSpanContext(carried);
    tracer.startSpan('billing.receive', { links: cause === undefined ? [] : [{ context: cause }] }).end();

    const [execute] = spans.getFinishedSpans().filter((span) => span.name === 'hindsight.execute');
    const [receive] = spans.getFinishedSpans().filter((span) => span.name === 'billing.receive');
    expect(execute).toBeDefined();
    expect(receive?.links.map((link) => link.context.traceId)).toEqual([execute?.spanContext().traceId]);
    expect(receive?.links.map((link) => link.context.spanId)).toEqual([execute?.spanContext().spanId]);
    await store.close();
    await provider.shutdown();
  });
});
