export type { SnapshotPolicy } from './snapshot-policy.js';
