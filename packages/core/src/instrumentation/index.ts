export {
  type ActiveSpan,
  type GaugeReading,
  type Instrumentation,
  type InstrumentationAttributes,
  type InstrumentationCounter,
  noopInstrumentation,
  type SpanOptions,
  type TraceContext,
  traceContextOf,
} from './instrumentation.js';
