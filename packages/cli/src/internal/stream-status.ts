import type { EventStorage, StreamLifecycleInfo } from '@hindsight/core';

/** What the CLI and the explorer show of a stream's life; undefined fields on a storage without it. */
export interface StreamStatusSummary {
  readonly status: StreamLifecycleInfo['status'];
  /** Versions up to this one are archived (0: none). */
  readonly archivedUpTo: number;
  /** ISO time of the close or delete. */
  readonly changedAt?: string;
  readonly reason?: string;
}

/** The stream's status, or undefined when the storage keeps none (no `lifecycle` capability). */
export async function streamStatusOf(
  storage: EventStorage<unknown>,
  streamId: string,
): Promise<StreamStatusSummary | undefined> {
  const info = await storage.lifecycle?.status(streamId);
  if (info === undefined) return undefined;
  return {
    status: info.status,
    archivedUpTo: info.archivedUpTo,
    ...(info.changedAt === undefined ? {} : { changedAt: info.changedAt.toISOString() }),
    ...(info.reason === undefined ? {} : { reason: info.reason }),
  };
}

/** One short word or two for a table cell: `open`, `closed`, `deleted`, plus `archived ≤ vN`. */
export function statusLabel(summary: StreamStatusSummary | undefined): string {
  if (summary === undefined) return '';
  return summary.archivedUpTo > 0 ? `${summary.status}, archived ≤ v${summary.archivedUpTo}` : summary.status;
}
