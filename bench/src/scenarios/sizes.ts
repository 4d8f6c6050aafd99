/** How much work each scenario does per trial, and how often trials repeat. */
export interface Sizes {
  readonly mode: 'quick' | 'full';
  readonly reps: number;
  readonly warmups: number;
  /** The least time each contender spends warming up per scenario (see `RunOptions.warmupMs`). */
  readonly warmupMs: number;
  readonly sequentialAppends: number;
  readonly concurrentWriters: number;
  readonly appendsPerConcurrentWriter: number;
  readonly batches: number;
  readonly batchSize: number;
  readonly contendingWriters: number;
  readonly contendedSuccesses: number;
  /** Writers of s4b, each executing `commandsPerWriter` commands on one aggregate. */
  readonly commandWriters: number;
  readonly commandsPerWriter: number;
  readonly streamLength: number;
  readonly catchUpEvents: number;
  readonly catchUpReps: number;
  readonly catchUpPageSize: number;
  /** Time budget of one catch-up trial: a store still reading then is stopped and rated on what it read. */
  readonly catchUpBudgetMs: number;
  readonly latencyWriters: number;
  readonly latencyEventsPerWriter: number;
  readonly latencyPauseMs: number;
  readonly snapshotSizes: readonly number[];
  readonly snapshotReps: number;
}

export const quickSizes: Sizes = {
  mode: 'quick',
  reps: 5,
  warmups: 1,
  warmupMs: 2000,
  sequentialAppends: 300,
  concurrentWriters: 16,
  appendsPerConcurrentWriter: 40,
  batches: 30,
  batchSize: 100,
  contendingWriters: 8,
  contendedSuccesses: 200,
  commandWriters: 20,
  commandsPerWriter: 10,
  streamLength: 10_000,
  catchUpEvents: 100_000,
  catchUpReps: 3,
  catchUpPageSize: 1000,
  catchUpBudgetMs: 60_000,
  latencyWriters: 4,
  latencyEventsPerWriter: 100,
  latencyPauseMs: 5,
  snapshotSizes: [10, 100, 1000, 10_000, 100_000],
  snapshotReps: 3,
};

export const fullSizes: Sizes = {
  ...quickSizes,
  mode: 'full',
  reps: 7,
  warmupMs: 5000,
  sequentialAppends: 1000,
  appendsPerConcurrentWriter: 150,
  batches: 100,
  contendedSuccesses: 600,
  commandsPerWriter: 30,
  catchUpEvents: 1_000_000,
  catchUpBudgetMs: 120_000,
  latencyEventsPerWriter: 400,
  snapshotReps: 5,
};
