/**
 * Given-when-then specifications for aggregates, projections, process managers and listeners, and
 * the storage conformance suite every adapter runs.
 *
 * @module @hindsight/core/testing
 */
export type { GivenEventOf } from './given-events.js';
export {
  aggregateSpec,
  type ExpectedError,
  type ExpectedEventOf,
  type ThenStep,
  type WhenStep,
} from './given-when-then.js';
export {
  type ExpectedDeadLetter,
  type ListenerCall,
  type ListenerOutcome,
  type ListenerSpecOptions,
  type ListenerThen,
  listenerSpec,
} from './listener-spec.js';
export {
  type IssuedCommandOf,
  type ProcessOutcome,
  type ProcessSpecOptions,
  type ProcessThen,
  processSpec,
  type ScheduledCommandOf,
} from './process-spec.js';
export {
  type ProjectionSpecContext,
  type ProjectionSpecOptions,
  type ProjectionThen,
  projectionSpec,
} from './projection-spec.js';
export {
  type ConformanceCase,
  type StorageConformanceOptions,
  storageConformanceCases,
} from './storage-conformance.js';
