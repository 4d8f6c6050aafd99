/**
 * OpenTelemetry traces and metrics for Hindsight.
 *
 * @module @hindsight/opentelemetry
 */
export {
  createOpenTelemetryInstrumentation,
  type OpenTelemetryInstrumentationOptions,
  parseTraceContext,
} from './open-telemetry-instrumentation.js';
