import {
  createEventStore,
  createInMemoryStorage,
  createRepository,
  createSubscription,
  defineAggregate,
  partitionOf,
  type StoredEvent,
} from '@hindsight/core';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenTelemetryInstrumentation, parseTraceContext } from './open-telemetry-instrumentation.js';

const Cart = defineAggregate('Cart')
  .events({ ItemAdded: z.object({ sku: z.string() }) })
  .initialState(() => ({ items: [] as string[] }))
  .evolve({ ItemAdded: (state, { data }) => ({ items: [...state.items, data.sku] }) })
  .commands({ add: (_state, input: { sku: string }) => ({ type: 'ItemAdded', data: input }) });

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function setup() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [metricReader] });
  const tracer = tracerProvider.getTracer('test');
  const instrumentation = createOpenTelemetryInstrumentation({
    tracer,
    meter: meterProvider.getMeter('test'),
  });
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Cart], instrumentation });
  const named = (name: string): ReadableSpan[] =>
    spans.getFinishedSpans().filter((span) => span.name === name);
  const metric = async (name: string) => {
    await metricReader.forceFlush();
    const last = metricExporter.getMetrics().at(-1);
    return last?.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((found) => found.descriptor.name === name);
  };
  const close = async () => {
    await store.close();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  };
  return { store, tracer, named, metric, close };
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('createOpenTelemetryInstrumentation', () => {
  it('traces a command as load, decide and append under hindsight.execute, under the caller span', async () => {
    const { store, tracer, named, close } = setup();
    const carts = createRepository(store, Cart);
    await tracer.startActiveSpan('http request', async (request) => {
      await carts.execute('c1', 'add', { sku: 'apple' });
      request.end();
    });
    const [execute] = named('hindsight.execute');
    const [requestSpan] = named('http request');
    expect(execute?.attributes).toMatchObject({
      'hindsight.aggregate': 'Cart',
      'hindsight.aggregate_id': 'c1',
    });
    expect(parentOf(execute as ReadableSpan)).toBe(requestSpan?.spanContext().spanId);
    for (const child of ['hindsight.load', 'hindsight.decide', 'hindsight.append']) {
      expect(named(child).map(parentOf)).toEqual([execute?.spanContext().spanId]);
    }
    expect(named('hindsight.append')[0]?.attributes).toMatchObject({
      'hindsight.stream_id': 'Cart-c1',
      'hindsight.stream_type': 'Cart',
      'hindsight.event_count': 1,
    });
    await close();
  });

  it('stores the command span in each event and links every consumer page to the commands of its events', async () => {
    const { store, named, close } = setup();
    const carts = createRepository(store, Cart);
    const first = await carts.execute('c1', 'add', { sku: 'apple' });
    const second = await carts.execute('c2', 'add', { sku: 'pear' });
    const seen: StoredEvent[] = [];
    const subscription = createSubscription(store, {
      name: 'audit',
      handle: (event) => void seen.push(event),
    });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();

    const executes = named('hindsight.execute').map((span) => span.spanContext());
    const stored = [...first.events, ...second.events].map((event) =>
      parseTraceContext(event.metadata as never),
    );
    expect(stored.map((span) => span?.spanId)).toEqual(executes.map((span) => span.spanId));
    expect(seen).toHaveLength(2);
    const [consume] = named('hindsight.consume');
    expect(consume?.attributes).toMatchObject({
      'hindsight.consumer': 'audit',
      'hindsight.event_count': 2,
      'hindsight.position.first': 1,
      'hindsight.position.last': 2,
    });
    expect(consume?.links.map((link) => link.context.spanId)).toEqual(executes.map((span) => span.spanId));
    expect(consume?.links.map((link) => link.context.traceId)).toEqual(executes.map((span) => span.traceId));
    await close();
  });

  it('links to a trace context stored by another process, and keeps a traceparent given in metadata', async () => {
    const { store, named, close } = setup();
    const remote = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await store.append('Cart-c9', [{ type: 'ItemAdded', data: { sku: 'fig' } }], {
      streamType: 'Cart',
      metadata: { traceparent: remote, tracestate: 'vendor=1' },
    });
    const subscription = createSubscription(store, { name: 'remote', handle: () => {} });
    await subscription.start();
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    const [link] = named('hindsight.consume')[0]?.links ?? [];
    expect(link?.context).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      isRemote: true,
    });
    expect(link?.context.traceState?.get('vendor')).toBe('1');
    await close();
  });

  it('records each retry after a concurrency conflict as an event of the execute span', async () => {
    const { store, named, close } = setup();
    const carts = createRepository(store, Cart);
    await carts.execute('c1', 'add', { sku: 'apple' });
    // A writer that lands between the command's load and its append makes its first append conflict.
    let interfere = true;
    const racingStore: typeof store = {
      ...store,
      async prepare(...args) {
        if (interfere) {
          interfere = false;
          await store.append('Cart-c1', [{ type: 'ItemAdded', data: { sku: 'rival' } }], {
            streamType: 'Cart',
          });
        }
        return store.prepare(...args);
      },
    };
    const racing = createRepository(racingStore, Cart);
    const result = await racing.execute('c1', 'add', { sku: 'pear' });
    expect(result.state.items).toEqual(['apple', 'rival', 'pear']);
    const execute = named('hindsight.execute').at(-1);
    expect(execute?.events.map((event) => event.name)).toEqual(['hindsight.retry']);
    expect(execute?.attributes['hindsight.attempts']).toBe(2);
    expect(
      named('hindsight.load').filter((span) => parentOf(span) === execute?.spanContext().spanId),
    ).toHaveLength(2);
    await close();
  });

  it('counts appended events and consumer failures, and reports each running consumer lag', async () => {
    const { store, metric, close } = setup();
    await store.append(
      'Cart-c1',
      [
        { type: 'ItemAdded', data: { sku: 'a' } },
        { type: 'ItemAdded', data: { sku: 'b' } },
      ],
      {
        streamType: 'Cart',
      },
    );
    let failures = 0;
    const blocked = createSubscription(store, {
      name: 'blocked',
      retry: { attempts: 2, initialDelayMs: 0 },
      handle: () => {
        failures += 1;
        throw new Error('down');
      },
    });
    await blocked.start();
    await expect(blocked.waitUntilCaughtUp()).rejects.toThrow();
    const appended = await metric('hindsight.events.appended');
    expect(appended?.dataPoints.map((point) => [point.value, point.attributes])).toEqual([
      [2, { 'hindsight.stream_type': 'Cart' }],
    ]);
    const failed = await metric('hindsight.consumer.failures');
    expect(failures).toBeGreaterThan(0);
    expect(failed?.dataPoints.map((point) => [point.value, point.attributes])).toEqual([
      [failures, { 'hindsight.consumer': 'blocked' }],
    ]);
    const stuck = await metric('hindsight.consumer.lag');
    expect(stuck?.dataPoints.map((point) => [point.attributes['hindsight.consumer'], point.value])).toEqual([
      ['blocked', 2],
    ]);
    await blocked.stop();

    const idle = createSubscription(store, { name: 'idle', handle: () => {} });
    createSubscription(store, { name: 'lagging', handle: () => {} });
    await idle.start();
    await idle.waitUntilCaughtUp();
    const lag = await metric('hindsight.consumer.lag');
    // A cumulative reader keeps the stopped consumer's last reading; 'lagging' never started.
    const readings = lag?.dataPoints.map((point) => [point.attributes['hindsight.consumer'], point.value]);
    expect(readings).toContainEqual(['idle', 0]);
    expect(readings?.map(([consumer]) => consumer)).not.toContain('lagging');
    await idle.stop();
    await close();
  });

  it('names the partition in the lag, failures and page spans of a partitioned consumer', async () => {
    const { store, named, metric, close } = setup();
    for (const id of ['Cart-a', 'Cart-b', 'Cart-c', 'Cart-d', 'Cart-e', 'Cart-f']) {
      await store.append(id, [{ type: 'ItemAdded', data: { sku: id } }], { streamType: 'Cart' });
    }
    const split = createSubscription(store, {
      name: 'split',
      partitions: 2,
      retry: { attempts: 1, initialDelayMs: 0 },
      handle: (event) => {
        if (partitionOf(event.streamId, 2) === 1) throw new Error('down');
      },
    });
    await split.start();
    await expect(split.waitUntilCaughtUp()).rejects.toThrow();
    const lag = await metric('hindsight.consumer.lag');
    const readings = new Map(
      lag?.dataPoints.map((point) => [point.attributes['hindsight.partition'], point.value]),
    );
    expect([...readings.keys()].sort()).toEqual([0, 1]);
    expect(readings.get(0)).toBe(0);
    expect(readings.get(1)).toBeGreaterThan(0);
    const failed = await metric('hindsight.consumer.failures');
    expect(failed?.dataPoints.map((point) => point.attributes)).toEqual([
      { 'hindsight.consumer': 'split', 'hindsight.partition': 1 },
    ]);
    const pages = named('hindsight.consume').map((span) => span.attributes['hindsight.partition']);
    expect(new Set(pages)).toEqual(new Set([0, 1]));
    await split.stop();
    await close();
  });
});
