import type BetterSqlite3 from 'better-sqlite3';
import { type ListCheckpoints, prepareListCheckpoints } from '../admin/list-checkpoints.js';
import { type ListStreams, prepareListStreams } from '../admin/list-streams.js';
import { prepareStorageStats, type ReadStorageStats } from '../admin/storage-stats.js';
import { type LoadCheckpoint, prepareLoadCheckpoint } from '../checkpoints/load-checkpoint.js';
import { type GetDocument, prepareGetDocument } from '../documents/get-document.js';
import { type ListDocuments, prepareListDocuments } from '../documents/list-documents.js';
import { type LoadSnapshot, prepareLoadSnapshot } from '../snapshots/load-snapshot.js';
import { prepareHeadPosition, type ReadHeadPosition } from '../streams/head-position.js';
import { prepareReadAll, type ReadAll } from '../streams/read-all.js';
import { prepareReadStream, type ReadStream } from '../streams/read-stream.js';
import { prepareStreamInfo, type ReadStreamInfo } from '../streams/stream-info.js';
import { prepareStreamStatus, type ReadStreamStatus } from '../streams/stream-status.js';

/** Every read, prepared once on one connection. */
export interface ReadQueries {
  readonly readStream: ReadStream;
  readonly readAll: ReadAll;
  readonly streamInfo: ReadStreamInfo;
  readonly streamStatus: ReadStreamStatus;
  readonly headPosition: ReadHeadPosition;
  readonly loadSnapshot: LoadSnapshot;
  readonly loadCheckpoint: LoadCheckpoint;
  readonly getDocument: GetDocument;
  readonly listDocuments: ListDocuments;
  readonly listStreams: ListStreams;
  readonly listCheckpoints: ListCheckpoints;
  readonly stats: ReadStorageStats;
}

export function prepareReadQueries(db: BetterSqlite3.Database): ReadQueries {
  return {
    readStream: prepareReadStream(db),
    readAll: prepareReadAll(db),
    streamInfo: prepareStreamInfo(db),
    streamStatus: prepareStreamStatus(db),
    headPosition: prepareHeadPosition(db),
    loadSnapshot: prepareLoadSnapshot(db),
    loadCheckpoint: prepareLoadCheckpoint(db),
    getDocument: prepareGetDocument(db),
    listDocuments: prepareListDocuments(db),
    listStreams: prepareListStreams(db),
    listCheckpoints: prepareListCheckpoints(db),
    stats: prepareStorageStats(db),
  };
}
