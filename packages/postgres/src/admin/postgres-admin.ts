import type { StorageAdmin } from '@hindsight/core';
import type { StorageContext } from '../internal/storage-context.js';
import { type CheckpointListRow, listCheckpointsStatement } from './list-checkpoints.js';
import { listStreamsParams, listStreamsStatement, type StreamRow } from './list-streams.js';
import { type StorageStatsRow, storageStatsStatement } from './storage-stats.js';

/** The PostgreSQL storage's listings for tools. */
export function createPostgresAdmin(context: StorageContext): StorageAdmin {
  const { driver } = context;
  const statements = {
    listStreams: listStreamsStatement(context.quoted),
    listCheckpoints: listCheckpointsStatement(context.quoted),
    stats: storageStatsStatement(context.quoted),
  };
  return {
    async listStreams(query) {
      context.ensureOpen();
      const rows = await driver.run<StreamRow>(statements.listStreams, listStreamsParams(query));
      return rows.map((row) => ({
        streamId: row.stream_id,
        streamType: row.stream_type,
        version: Number(row.version),
      }));
    },
    async listCheckpoints() {
      context.ensureOpen();
      const rows = await driver.run<CheckpointListRow>(statements.listCheckpoints, []);
      return rows.map((row) => ({ consumerId: row.consumer_id, position: Number(row.position) }));
    },
    async stats() {
      context.ensureOpen();
      const [row] = await driver.run<StorageStatsRow>(statements.stats, []);
      return { streams: Number(row?.streams ?? 0), events: Number(row?.events ?? 0) };
    },
  };
}
