import { HindsightError } from './hindsight-error.js';

declare module './hindsight-error.js' {
  interface HindsightErrorClasses {
    STREAM_CLOSED: StreamClosedError;
    STREAM_DELETED: StreamDeletedError;
    STREAM_NOT_FOUND: StreamNotFoundError;
  }
}

/**
 * An append (or a command) reached a closed stream. Reads of the stream keep working; nothing was
 * written.
 *
 * @example
 * ```ts
 * try { await orders.execute('o-1', 'addItem', item); }
 * catch (error) { if (isHindsightError(error, 'STREAM_CLOSED')) console.log(`${error.streamId} is closed`); }
 * ```
 */
export class StreamClosedError extends HindsightError {
  readonly streamId: string;

  constructor(args: { streamId: string }) {
    super('STREAM_CLOSED', `Stream "${args.streamId}" is closed: it takes no more events`);
    this.streamId = args.streamId;
  }
}

/**
 * An append (or a command) reached a deleted stream: only its tombstone is left. Nothing was
 * written.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'STREAM_DELETED')) console.log(`${error.streamId} was deleted`);
 * ```
 */
export class StreamDeletedError extends HindsightError {
  readonly streamId: string;

  constructor(args: { streamId: string }) {
    super('STREAM_DELETED', `Stream "${args.streamId}" was deleted: it takes no more events`);
    this.streamId = args.streamId;
  }
}

/**
 * Closing, archiving or deleting a stream that does not exist.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'STREAM_NOT_FOUND')) console.log(`no stream ${error.streamId}`);
 * ```
 */
export class StreamNotFoundError extends HindsightError {
  readonly streamId: string;

  constructor(args: { streamId: string; action: string }) {
    super('STREAM_NOT_FOUND', `Cannot ${args.action} stream "${args.streamId}": it does not exist`);
    this.streamId = args.streamId;
  }
}
