import type {
  ActiveSpan,
  GaugeReading,
  Instrumentation,
  InstrumentationCounter,
  TraceContext,
} from '@hindsight/core';
import {
  type Counter,
  context,
  createTraceState,
  isSpanContextValid,
  type Link,
  type Meter,
  metrics,
  type SpanContext,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** Options of {@link createOpenTelemetryInstrumentation}. */
export interface OpenTelemetryInstrumentationOptions {
  /** Default: the global tracer provider's tracer named `@hindsight/opentelemetry`. */
  readonly tracer?: Tracer;
  /** Default: the global meter provider's meter named `@hindsight/opentelemetry`. */
  readonly meter?: Meter;
}

const scope = '@hindsight/opentelemetry';
// version 00 of the W3C Trace Context: version-traceid-parentid-flags, lower-case hex.
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Hindsight's instrumentation on the OpenTelemetry API: spans through the tracer, trace context
 * from the active OpenTelemetry context (so a command executed inside an HTTP request's span is its
 * child), metrics through the meter. Span parenting across `await` needs a context manager, which
 * the OpenTelemetry Node SDK registers.
 *
 * @example
 * ```ts
 * const store = createEventStore({
 *   storage,
 *   events: [Order],
 *   instrumentation: createOpenTelemetryInstrumentation(),
 * });
 * ```
 */
export function createOpenTelemetryInstrumentation(
  options: OpenTelemetryInstrumentationOptions = {},
): Instrumentation {
  const tracer = options.tracer ?? trace.getTracer(scope);
  const meter = options.meter ?? metrics.getMeter(scope);
  const counters = new Map<string, Counter>();
  const gauges = new Map<string, Set<() => readonly GaugeReading[]>>();

  return {
    span(name, spanOptions, work) {
      const links: Link[] = [];
      for (const link of spanOptions.links ?? []) {
        const linked = parseTraceContext(link);
        if (linked !== undefined) links.push({ context: linked });
      }
      return tracer.startActiveSpan(
        name,
        { attributes: { ...spanOptions.attributes }, links },
        async (span) => {
          const active: ActiveSpan = {
            setAttributes: (attributes) => span.setAttributes(attributes),
            addEvent: (eventName, attributes) => span.addEvent(eventName, attributes),
          };
          try {
            return await work(active);
          } catch (error) {
            const thrown = error instanceof Error ? error : new Error(String(error));
            span.recordException(thrown);
            span.setStatus({ code: SpanStatusCode.ERROR, message: thrown.message });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },

    traceContext() {
      const current = trace.getSpanContext(context.active());
      if (current === undefined || !isSpanContextValid(current)) return undefined;
      const flags = current.traceFlags.toString(16).padStart(2, '0');
      const traceparent = `00-${current.traceId}-${current.spanId}-${flags}`;
      const tracestate = current.traceState?.serialize();
      return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
    },

    counter(name, description): InstrumentationCounter {
      let counter = counters.get(name);
      if (counter === undefined) {
        counter = meter.createCounter(name, { description });
        counters.set(name, counter);
      }
      const created = counter;
      return { add: (value, attributes) => created.add(value, attributes) };
    },

    observeGauge(name, description, observe) {
      let observers = gauges.get(name);
      if (observers === undefined) {
        const registered = new Set<() => readonly GaugeReading[]>();
        meter.createObservableGauge(name, { description }).addCallback((result) => {
          for (const observer of registered) {
            for (const reading of observer()) result.observe(reading.value, reading.attributes);
          }
        });
        gauges.set(name, registered);
        observers = registered;
      }
      const own = observers;
      own.add(observe);
      return () => {
        own.delete(observe);
      };
    },
  };
}

/**
 * A stored trace context as an OpenTelemetry span context (remote: it may come from another
 * process); undefined when it is not a valid W3C `traceparent`.
 *
 * @example
 * ```ts
 * const caused = parseTraceContext({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
 * ```
 */
export function parseTraceContext(carried: TraceContext): SpanContext | undefined {
  const match = traceparentPattern.exec(carried.traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === 'ff' || traceId === undefined || spanId === undefined || flags === undefined)
    return undefined;
  const parsed: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
    ...(carried.tracestate === undefined ? {} : { traceState: createTraceState(carried.tracestate) }),
  };
  return isSpanContextValid(parsed) ? parsed : undefined;
}
