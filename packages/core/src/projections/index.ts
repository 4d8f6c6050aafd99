export {
  defineProjection,
  type ProjectionActivateContext,
  type ProjectionBatchHandler,
  type ProjectionContext,
  type ProjectionDefinition,
  type ProjectionHandler,
  type ProjectionOptions,
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
export { activeProjectionVersion } from './projection-versions.js';
