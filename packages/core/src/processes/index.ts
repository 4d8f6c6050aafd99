export {
  type CommandRejection,
  type CommandTarget,
  defineProcess,
  type ProcessContext,
  type ProcessDefinition,
  type ProcessHandler,
  type ProcessOptions,
  type RejectedCommand,
  type RejectionHandler,
  type ScheduleOptions,
} from './define-process.js';
export {
  createProcessManager,
  type ProcessManager,
  type ProcessManagerOptions,
  type ScheduledCommand,
} from './process-manager.js';
