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
