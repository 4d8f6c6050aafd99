import { createEventStore, createInMemoryStorage, type EventStorage } from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import type { OpenedStore } from '../internal/open-store.js';
import { ExplorerApi } from './explorer-api.js';
import { streamEventsQuery, streamsQuery } from './query-schemas.js';

function explorerOver(storage: EventStorage<unknown>): ExplorerApi {
  const opened = {
    storage,
    description: 'in memory',
    existed: true,
    close: () => storage.close(),
  } as unknown as OpenedStore;
  return new ExplorerApi(opened, []);
}

describe('explorer API: closed, archived and deleted streams', () => {
  it('gives each listed stream and the open stream its status for the badges', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [] });
    for (const streamId of ['Log-closed', 'Log-deleted', 'Log-open']) {
      await store.appendPrepared({
        streamId,
        streamType: 'Log',
        expectedVersion: 'any',
        events: ['A', 'B'].map((type) => ({ eventId: crypto.randomUUID(), type, data: {}, metadata: {} })),
      });
    }
    await store.closeStream('Log-closed', { reason: 'done' });
    await store.archiveStream('Log-closed');
    await store.deleteStream('Log-deleted');
    const api = explorerOver(storage);
    const { streams } = (await api.streams(streamsQuery.parse({}))) as { streams: Record<string, unknown>[] };
    expect(streams.map(({ streamId, status, archivedUpTo }) => [streamId, status, archivedUpTo])).toEqual([
      ['Log-closed', 'closed', 2],
      ['Log-deleted', 'deleted', 0],
      ['Log-open', 'open', 0],
    ]);
    expect(streams[0]).toMatchObject({ reason: 'done', changedAt: expect.any(String) });
    const page = (await api.streamEvents('Log-deleted', streamEventsQuery.parse({}))) as {
      stream: Record<string, unknown>;
      events: { type: string; version: number }[];
    };
    expect(page.stream).toMatchObject({ status: 'deleted', version: 3 });
    expect(page.events.map(({ type, version }) => [type, version])).toEqual([['$StreamDeleted', 3]]);
  });

  it('lists the $personal-data stream of forgets and shows its events', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [], personalData: {} });
    await store.forget('c-1');
    const api = explorerOver(storage);
    const { streams } = (await api.streams(streamsQuery.parse({}))) as { streams: Record<string, unknown>[] };
    expect(streams.map(({ streamId, streamType, status }) => [streamId, streamType, status])).toEqual([
      ['$personal-data', '$personal-data', 'open'],
    ]);
    const page = (await api.streamEvents('$personal-data', streamEventsQuery.parse({}))) as {
      events: { type: string; data: unknown }[];
    };
    expect(page.events.map(({ type, data }) => [type, data])).toEqual([
      ['$SubjectForgotten', { subjectId: 'c-1', streamIds: [] }],
    ]);
  });
});
