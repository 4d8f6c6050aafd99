/** Attribute values a span or a measurement carries. */
export type InstrumentationAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * A W3C trace context as stored in event metadata (`traceparent`, `tracestate`): where an event was
 * caused, so that whoever handles it later, in any process, can link back to that span.
 *
 * @example
 * ```ts
 * const link: TraceContext = { traceparent: event.metadata.traceparent as string };
 * ```
 */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** What a span started by {@link Instrumentation.span} gets besides its name. */
export interface SpanOptions {
  readonly attributes?: InstrumentationAttributes;
  /** Spans this one follows from without being their child (e.g. the commands that caused a page). */
  readonly links?: readonly TraceContext[];
}

/**
 * The running span, as the work inside it sees it.
 *
 * @example
 * ```ts
 * await instrumentation.span('hindsight.execute', {}, async (span) => span.addEvent('hindsight.retry'));
 * ```
 */
export interface ActiveSpan {
  setAttributes(attributes: InstrumentationAttributes): void;
  addEvent(name: string, attributes?: InstrumentationAttributes): void;
}

/**
 * A monotonic count (events appended, consumer failures).
 *
 * @example
 * ```ts
 * instrumentation.counter('hindsight.events.appended', 'Events appended').add(3, { 'hindsight.stream_type': 'Order' });
 * ```
 */
export interface InstrumentationCounter {
  add(value: number, attributes?: InstrumentationAttributes): void;
}

/** One value an observed gauge reports when metrics are collected. */
export interface GaugeReading {
  readonly value: number;
  readonly attributes?: InstrumentationAttributes;
}

/**
 * What Hindsight reports about itself: spans, the trace context it stores in events, and metrics.
 * Core knows no tracing library; `@hindsight/opentelemetry` implements this on OpenTelemetry.
 * Without one, {@link noopInstrumentation} is used, which does nothing and costs nothing.
 *
 * @example
 * ```ts
 * import { createOpenTelemetryInstrumentation } from '@hindsight/opentelemetry';
 * const store = createEventStore({ storage, events: [Order], instrumentation: createOpenTelemetryInstrumentation() });
 * ```
 */
export interface Instrumentation {
  /**
   * Runs `work` inside a span named `name`, which is the current span for everything `work` does
   * (child spans, {@link Instrumentation.traceContext}); ends it when `work` settles, recording a
   * thrown error on it.
   */
  span<T>(name: string, options: SpanOptions, work: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /** The current span's trace context, to store in the metadata of the events it causes. */
  traceContext(): TraceContext | undefined;
  counter(name: string, description: string): InstrumentationCounter;
  /**
   * Reports `observe()`'s readings under gauge `name` at each collection, until the returned
   * function is called.
   */
  observeGauge(name: string, description: string, observe: () => readonly GaugeReading[]): () => void;
}

const noopCounter: InstrumentationCounter = { add() {} };
const noopSpan: ActiveSpan = { setAttributes() {}, addEvent() {} };

/**
 * The instrumentation used when none is given: no spans, no trace context, no metrics.
 *
 * @example
 * ```ts
 * const store = createEventStore({ storage, events: [Order], instrumentation: noopInstrumentation });
 * ```
 */
export const noopInstrumentation: Instrumentation = {
  span: (_name, _options, work) => work(noopSpan),
  traceContext: () => undefined,
  counter: () => noopCounter,
  observeGauge: () => () => {},
};

/**
 * Reads the trace context an event's metadata carries (undefined when it has none or not as strings).
 *
 * @example
 * ```ts
 * const links = events.flatMap((event) => traceContextOf(event.metadata) ?? []);
 * ```
 */
export function traceContextOf(metadata: Readonly<Record<string, unknown>>): TraceContext | undefined {
  const { traceparent, tracestate } = metadata;
  if (typeof traceparent !== 'string') return undefined;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}
