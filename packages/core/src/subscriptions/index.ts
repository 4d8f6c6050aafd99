export { type ConsumerKindName, consumerCheckpointId } from './checkpoint-id.js';
export {
  type ConsumerFailure,
  type ConsumerFailureRecord,
  consumerFailures,
  listConsumerFailures,
  requestConsumerRestart,
} from './consumer-failures.js';
export type { ConsumerLeaseStatus, LeaseOptions } from './consumer-lease.js';
export type {
  BackoffOptions,
  Consumer,
  ConsumerOptions,
  ConsumerPartitionStatus,
  ConsumerState,
  ConsumerStatus,
  ConsumerWait,
  StartOptions,
} from './consumer-runner.js';
export {
  createSubscription,
  type SubscriptionContext,
  type SubscriptionOptions,
} from './create-subscription.js';
export { partitionCheckpointId, partitionOf } from './partitions.js';
export {
  type ShutdownOnSignalsOptions,
  type ShutdownOutcome,
  type SignalSource,
  shutdownOnSignals,
} from './shutdown-on-signals.js';
