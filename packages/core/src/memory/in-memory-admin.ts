import type { StoredEvent } from '../events/event.js';
import type {
  StorageAdmin,
  StorageStats,
  StoredCheckpoint,
  StreamInfo,
  StreamListQuery,
} from '../streams/event-storage.js';
import { compareCodePoints } from './memory-unit-of-work.js';

/** What the in-memory admin listings read: the storage's own maps, live. */
export interface InMemoryAdminSource {
  readonly log: readonly (StoredEvent | undefined)[];
  readonly streams: ReadonlyMap<
    string,
    {
      readonly streamType: string;
      readonly events: readonly StoredEvent[];
      readonly archivedUpTo: number;
      readonly tombstone: StoredEvent | undefined;
    }
  >;
  readonly checkpoints: ReadonlyMap<string, number>;
}

/** The in-memory storage's listings for tools. */
export function createInMemoryAdmin(source: InMemoryAdminSource): StorageAdmin {
  return {
    async listStreams(query: StreamListQuery): Promise<readonly StreamInfo[]> {
      const page: StreamInfo[] = [];
      for (const streamId of [...source.streams.keys()].sort(compareCodePoints)) {
        if (page.length >= query.limit) break;
        if (query.after !== undefined && compareCodePoints(streamId, query.after) <= 0) continue;
        const stream = source.streams.get(streamId);
        if (
          stream === undefined ||
          (query.streamType !== undefined && stream.streamType !== query.streamType)
        )
          continue;
        const version = stream.tombstone?.version ?? stream.archivedUpTo + stream.events.length;
        page.push({ streamId, streamType: stream.streamType, version });
      }
      return page;
    },
    async listCheckpoints(): Promise<readonly StoredCheckpoint[]> {
      return [...source.checkpoints.keys()]
        .sort(compareCodePoints)
        .map((consumerId) => ({ consumerId, position: source.checkpoints.get(consumerId) ?? 0 }));
    },
    async stats(): Promise<StorageStats> {
      let events = 0;
      for (const event of source.log) if (event !== undefined) events += 1;
      return { streams: source.streams.size, events };
    },
  };
}
