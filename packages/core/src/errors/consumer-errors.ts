import { HindsightError } from './hindsight-error.js';

declare module './hindsight-error.js' {
  interface HindsightErrorClasses {
    HANDLER_FAILED: HandlerFailedError;
    EVENT_CYCLE: EventCycleError;
    NOT_SUPPORTED: NotSupportedError;
    LEASE_LOST: LeaseLostError;
    PROJECTION_VERSION_IN_USE: ProjectionVersionInUseError;
    PARTITION_COUNT_CHANGED: PartitionCountChangedError;
  }
}

/**
 * The event a consumer was working on when something went wrong.
 *
 * @example
 * ```ts
 * const { eventId, streamId, type, position }: FailedEventRef = error.event!;
 * ```
 */
export interface FailedEventRef {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly position: number;
}

/**
 * A consumer's handler (projection, process manager, listener, subscription) kept failing on one
 * event: inline, the append was rolled back; async, the consumer stopped in state `failed` at that
 * event and resumes there when started again. `cause` is the handler's last error.
 *
 * @example
 * ```ts
 * const status = await runner.status();
 * if (isHindsightError(status.lastError, 'HANDLER_FAILED')) console.log(status.lastError.event?.position);
 * ```
 */
export class HandlerFailedError extends HindsightError {
  readonly consumer: string;
  /** Undefined when the failing work was not tied to one event. */
  readonly event: FailedEventRef | undefined;
  readonly attempts: number;

  constructor(args: { consumer: string; event?: FailedEventRef; attempts: number; cause: unknown }) {
    const where =
      args.event === undefined
        ? ''
        : ` on ${args.event.type} event ${args.event.eventId} (stream "${args.event.streamId}", position ${args.event.position})`;
    super(
      'HANDLER_FAILED',
      `Consumer "${args.consumer}" failed${where} after ${args.attempts} attempt(s): ${messageOf(args.cause)}`,
      { cause: args.cause },
    );
    this.consumer = args.consumer;
    this.event = args.event;
    this.attempts = args.attempts;
  }
}

/**
 * A process manager would issue commands from an event whose causation chain is already
 * `limit` steps deep: almost surely a loop (A causes B causes A…). Nothing was issued.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'EVENT_CYCLE')) console.log(error.consumer, error.depth);
 * ```
 */
export class EventCycleError extends HindsightError {
  readonly consumer: string;
  readonly eventId: string;
  readonly streamId: string;
  readonly depth: number;
  readonly limit: number;

  constructor(args: { consumer: string; eventId: string; streamId: string; depth: number; limit: number }) {
    super(
      'EVENT_CYCLE',
      `Consumer "${args.consumer}" refused to issue commands caused by event ${args.eventId} on stream ` +
        `"${args.streamId}": causation depth ${args.depth} passes the limit of ${args.limit} (an event cycle?)`,
    );
    this.consumer = args.consumer;
    this.eventId = args.eventId;
    this.streamId = args.streamId;
    this.depth = args.depth;
    this.limit = args.limit;
  }
}

/**
 * The storage adapter lacks an optional capability a feature needs (e.g. keyed documents for
 * process managers, dead letters and projection rebuilds).
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'NOT_SUPPORTED')) console.log(error.feature, error.storage);
 * ```
 */
export class NotSupportedError extends HindsightError {
  readonly feature: string;
  /** The storage's `kind`. */
  readonly storage: string;

  constructor(args: { feature: string; storage: string; missing: string }) {
    super(
      'NOT_SUPPORTED',
      `${args.feature} needs storage support that "${args.storage}" storage lacks: ${args.missing}`,
    );
    this.feature = args.feature;
    this.storage = args.storage;
  }
}

/**
 * A consumer's transaction was fenced off: `owner` no longer holds the lease `lease` (it expired
 * and another process took the consumer over, or it was released). Nothing of the transaction was
 * committed; the consumer goes back to waiting for the lease.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'LEASE_LOST')) console.log(`${error.owner} lost ${error.lease}`);
 * ```
 */
export class LeaseLostError extends HindsightError {
  readonly lease: string;
  readonly owner: string;

  constructor(args: { lease: string; owner: string }) {
    super('LEASE_LOST', `"${args.owner}" does not hold the lease "${args.lease}" (expired or taken over)`);
    this.lease = args.lease;
    this.owner = args.owner;
  }
}

/**
 * `pruneProjection` was asked to delete a version still in use: the live one readers query, or
 * the one a rebuild is filling. Nothing was deleted.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'PROJECTION_VERSION_IN_USE')) console.log(`${error.projection} v${error.version} is ${error.state}`);
 * ```
 */
export class ProjectionVersionInUseError extends HindsightError {
  readonly projection: string;
  readonly version: number;
  readonly state: 'live' | 'building';

  constructor(args: { projection: string; version: number; state: 'live' | 'building' }) {
    super(
      'PROJECTION_VERSION_IN_USE',
      `version ${args.version} of projection "${args.projection}" is ${args.state === 'live' ? 'the live version' : 'being rebuilt'}: only retired versions can be pruned`,
    );
    this.projection = args.projection;
    this.version = args.version;
    this.state = args.state;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A consumer was started with another partition count than the one its checkpoints were written
 * with (or without partitions after running with them). Its events are routed by
 * `partitionOf(streamId, count)`, so each partition's checkpoint only means something for the
 * count it was saved under: resuming with another count would skip or repeat events. Nothing was
 * started. Move a projection to a new count by rebuilding it into a new version
 * (`rebuildProjection`), whose partitions start from the switch; for other consumers, stop every
 * instance and start under a new name.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'PARTITION_COUNT_CHANGED')) console.log(`${error.consumer}: ${error.stored} → ${error.requested}`);
 * ```
 */
export class PartitionCountChangedError extends HindsightError {
  readonly consumer: string;
  /** The count its checkpoints were written with (1 for a consumer without partitions). */
  readonly stored: number;
  /** The count it was started with (1 for a consumer without partitions). */
  readonly requested: number;

  constructor(args: { consumer: string; stored: number; requested: number }) {
    super(
      'PARTITION_COUNT_CHANGED',
      `Consumer "${args.consumer}" runs with ${args.stored} partition(s); it cannot resume with ${args.requested}: ` +
        'rebuild a projection into a new version, or start the consumer under a new name',
    );
    this.consumer = args.consumer;
    this.stored = args.stored;
    this.requested = args.requested;
  }
}
