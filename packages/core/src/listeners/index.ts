export {
  defineListener,
  type ListenerContext,
  type ListenerDefinition,
  type ListenerHandler,
  type ListenerOptions,
} from './define-listener.js';
export {
  createListenerRunner,
  type DeadLetter,
  type DeadLetterRetryResult,
  type ListenerRunner,
  listDeadLetters,
} from './listener-runner.js';
