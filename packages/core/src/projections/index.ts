export {
  defineProjection,
  type ProjectionActivateContext,
  type ProjectionBatchHandler,
  type ProjectionContext,
  type ProjectionDefinition,
  type ProjectionHandler,
  type ProjectionOptions,
  type ProjectionPruneContext,
  type ProjectionResetContext,
} from './define-projection.js';
export {
  createProjectionRunner,
  type ProjectionRunner,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
  type RunnableProjection,
  rebuildProjection,
} from './projection-runner.js';
export {
  activeProjectionVersion,
  type ProjectionVersionInfo,
  type ProjectionVersionState,
  type ProjectionVersions,
  projectionVersions,
} from './projection-versions.js';
export { type PrunableProjection, type PruneResult, pruneProjection } from './prune-projection.js';
