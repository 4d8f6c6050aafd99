import { type ConsumerFailureRecord, type FailedEventRef, listDeadLetters } from '@hindsight/core';
import type { OpenedStore } from './open-store.js';
import { summarizeStore } from './store-queries.js';

/**
 * What the store says of one consumer, as `hindsight consumers` and the explorer show it:
 * - `failed`: it gave up on an event and has not got past it since (see `lastError`);
 * - `retired`: a projection version replaced by a rebuild;
 * - `running`: a process holds its lease;
 * - `stopped`: no process holds its lease (or it runs without one, which the store cannot see).
 */
export interface ConsumerReport {
  /** Its checkpoint id, `<kind>:<name>`, for a partition `<kind>:<name>#p<index>/<count>`. */
  readonly consumerId: string;
  /** Null for an id written by hand, without a kind. */
  readonly kind: string | null;
  readonly name: string;
  /** One partition of a partitioned consumer: its own position, lag and owner; null otherwise. */
  readonly partition: { readonly index: number; readonly count: number } | null;
  readonly state: 'failed' | 'retired' | 'running' | 'stopped';
  /** Null before its first checkpoint. */
  readonly position: number | null;
  readonly head: number;
  /** Positions behind the head; null for a retired version. */
  readonly lag: number | null;
  /** The lease holder while the lease is live. */
  readonly owner: string | null;
  readonly leaseExpiresAt: string | null;
  readonly lastError: {
    readonly name: string;
    readonly code: string | null;
    readonly message: string;
    readonly event: FailedEventRef | null;
    readonly attempts: number;
    readonly failedAt: string;
    readonly owner: string | null;
  } | null;
  /** Listeners only: events given up on, kept for a retry. */
  readonly deadLetters?: number;
}

const kinded = /^(subscription|projection|process|listener):(.+)$/;
const partitioned = /^(.+)#p([0-9]+)\/([0-9]+)$/;

/** Every consumer the store knows of (a checkpoint or a recorded failure), ascending by id. */
export async function reportConsumers(opened: OpenedStore): Promise<ConsumerReport[]> {
  const { storage } = opened;
  const { head, consumers, failures } = await summarizeStore(opened);
  const failed = new Map(failures.map((failure) => [failure.checkpointId, failure]));
  const ids = [...new Set([...consumers.map((c) => c.consumerId), ...failed.keys()])].sort();
  const now = Date.now();
  const reports: ConsumerReport[] = [];
  for (const consumerId of ids) {
    const checkpoint = consumers.find((c) => c.consumerId === consumerId);
    const failure = failed.get(consumerId);
    const lease = await storage.leases?.read(consumerId);
    const live = lease !== undefined && lease.expiresAt.getTime() > now;
    const [, baseId = consumerId, index, count] = partitioned.exec(consumerId) ?? [];
    const [, kind, name] = kinded.exec(baseId) ?? [];
    const position = checkpoint?.position ?? null;
    const retired = checkpoint?.retired === true;
    reports.push({
      consumerId,
      kind: kind ?? null,
      name: name ?? baseId,
      partition: index === undefined ? null : { index: Number(index), count: Number(count) },
      state: failure !== undefined ? 'failed' : retired ? 'retired' : live ? 'running' : 'stopped',
      position,
      head,
      lag: retired ? null : Math.max(0, head - (position ?? 0)),
      owner: live ? lease.owner : null,
      leaseExpiresAt: live ? lease.expiresAt.toISOString() : null,
      lastError: failure === undefined ? null : lastError(failure),
      // A partitioned listener's dead letters are one list: counted on its first partition.
      ...(kind === 'listener' && name !== undefined && (index === undefined || index === '0')
        ? { deadLetters: (await listDeadLetters(opened, name)).length }
        : {}),
    });
  }
  return reports;
}

function lastError(failure: ConsumerFailureRecord): NonNullable<ConsumerReport['lastError']> {
  return {
    name: failure.error.name,
    code: failure.error.code ?? null,
    message: failure.error.message,
    event: failure.event ?? null,
    attempts: failure.attempts,
    failedAt: failure.failedAt,
    owner: failure.owner ?? null,
  };
}
