import { randomUUID } from 'node:crypto';
import {
  type AppendRequest,
  createEventStore,
  defineStreamType,
  type EventStorage,
  type ExpectedVersion,
  type PreparedEvent,
  type StoredEvent,
} from '@hindsight/core';
import { expect } from 'vitest';
import { z } from 'zod';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small deterministic pseudo-random generator, so a failing run can be replayed from its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

export function preparedEvents(count: number, data: (index: number) => unknown): PreparedEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    eventId: randomUUID(),
    type: index % 2 === 0 ? 'Even' : 'Odd',
    data: data(index),
    metadata: {},
  }));
}

export function appendRequest(
  streamId: string,
  events: readonly PreparedEvent[],
  expectedVersion: ExpectedVersion = 'any',
  streamType = 'Tick',
): AppendRequest {
  return { streamId, streamType, expectedVersion, events };
}

/**
 * The log's invariants: positions strictly increasing, each stream's versions 1, 2, 3… with no gap,
 * every event id once.
 */
export function expectConsistentLog(events: readonly StoredEvent[]): void {
  const positions = events.map((event) => event.position);
  expect(positions.every((position, index) => index === 0 || position > (positions[index - 1] ?? 0))).toBe(
    true,
  );
  const versions = new Map<string, number[]>();
  for (const event of events) {
    const list = versions.get(event.streamId) ?? [];
    list.push(event.version);
    versions.set(event.streamId, list);
  }
  for (const [streamId, list] of versions) {
    expect({ streamId, versions: list }).toEqual({ streamId, versions: list.map((_, index) => index + 1) });
  }
  expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
}

/** Every event of the store, paged. */
export async function readEverything(storage: {
  readAll(query: { after: number; limit: number }): Promise<readonly StoredEvent[]>;
}): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await storage.readAll({ after, limit: 5_000 });
    all.push(...page);
    const last = page.at(-1);
    if (last === undefined) return all;
    after = last.position;
  }
}

/**
 * Appends `Counter` events (1 to 3 at a time) to `streams` random streams `c-<n>` until stopped,
 * pausing `pauseMs` every `pauseEvery` appends so that consumers get a share of the machine.
 * `stop()` waits for the append in flight and says how many appends were acknowledged.
 */
export function startRandomWriter(
  storage: EventStorage<unknown>,
  random: () => number,
  options: { readonly streams: number; readonly pauseEvery: number; readonly pauseMs: number },
): { stop(): Promise<number> } {
  const Counter = defineStreamType('Counter', { Added: z.object({ n: z.number() }) });
  const store = createEventStore({ storage, events: [Counter] });
  let appending = true;
  let appends = 0;
  const writer = (async () => {
    while (appending) {
      const size = 1 + Math.floor(random() * 3);
      await store.append(
        `c-${Math.floor(random() * options.streams)}`,
        Array.from({ length: size }, (_, n) => ({ type: 'Added' as const, data: { n } })),
        { streamType: 'Counter' },
      );
      appends += 1;
      if (appends % options.pauseEvery === 0) await sleep(options.pauseMs);
    }
  })();
  return {
    async stop() {
      appending = false;
      await writer;
      return appends;
    },
  };
}
