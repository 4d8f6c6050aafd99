/**
 * Given-when-then specifications for aggregates and the storage conformance suite every adapter
 * runs.
 *
 * @module @hindsight/core/testing
 */
export {
  aggregateSpec,
  type ExpectedError,
  type ExpectedEventOf,
  type ThenStep,
  type WhenStep,
} from './given-when-then.js';
export {
  type ConformanceCase,
  type StorageConformanceOptions,
  storageConformanceCases,
} from './storage-conformance.js';
