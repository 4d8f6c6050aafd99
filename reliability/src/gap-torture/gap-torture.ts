import type { EventStorage, StoredEvent } from '@hindsight/core';
import { expect } from 'vitest';
import {
  appendRequest,
  createRandom,
  expectConsistentLog,
  preparedEvents,
  readEverything,
  sleep,
} from '../support/events.js';
import type { Figures } from '../support/results.js';
import { scale } from '../support/soak.js';

/** How long the writers write, per storage. */
export const writeForMs = scale(2_000, 60_000);
export const writerCount = 16;
/** Events in the store before the writers start, so one subscriber can start from the middle. */
const seedEvents = 200;
// Longest idle wait of a subscriber: long, so a subscriber that only kept up by polling would be
// visibly slow; append signals should wake it long before.
const idleWaitMs = 1_000;
// How long a subscriber may take, once the writers are done, to read up to the committed head.
const settleMs = 10_000;

export interface GapTortureSetup {
  /** The writers take turns over these (one per connection, process, …). */
  readonly writerStorages: readonly EventStorage[];
  /** One per subscriber: each subscriber reads and listens through its own storage. */
  readonly subscriberStorages: readonly [EventStorage, EventStorage, EventStorage];
}

interface Subscriber {
  readonly label: string;
  readonly from: number;
  readonly seen: StoredEvent[];
  /** onAppended calls heard. */
  notified: number;
  /** Idle waits ended by an onAppended call, and by the idle timeout. */
  signalled: number;
  timedOut: number;
  /** Positions not strictly after the previous one, as seen. */
  outOfOrder: number;
}

/**
 * 16 writers append concurrently (single events and random-size batches, own and shared streams,
 * exact and `any` expected versions, some holding their transaction open across an await) while
 * three subscribers follow the log live from position 0, from the middle of the seeded events and
 * from the head as it was when they started, each with `readAll` woken by `onAppended`.
 * Afterwards each subscriber must have seen exactly the committed events after its start, in
 * strictly increasing order, none twice, and every acknowledged event must be committed once.
 */
export async function runGapTorture(setup: GapTortureSetup, seed = Date.now()): Promise<Figures> {
  const random = createRandom(seed);
  const [first] = setup.writerStorages;
  if (first === undefined) throw new Error('no writer storage');
  for (let index = 0; index < seedEvents / 10; index += 1) {
    await first.append(
      appendRequest(
        'seed',
        preparedEvents(10, (n) => ({ n })),
      ),
    );
  }
  const seeded = await readEverything(first);
  const middle = seeded[seedEvents / 2 - 1]?.position ?? 0;

  let writing = true;
  // The committed head once every writer is done: a subscriber that finished reads up to it.
  let finalHead = Number.POSITIVE_INFINITY;
  let finishedAt = Number.POSITIVE_INFINITY;
  const subscribers: Subscriber[] = [];
  // Idle subscribers, woken when the writers are done so they finish without waiting out a timeout.
  const idle = new Set<() => void>();
  const follow = async (storage: EventStorage, label: string, from: number): Promise<Subscriber> => {
    const subscriber: Subscriber = {
      label,
      from,
      seen: [],
      notified: 0,
      signalled: 0,
      timedOut: 0,
      outOfOrder: 0,
    };
    subscribers.push(subscriber);
    let signalled = false;
    let wake: (() => void) | undefined;
    let woke: () => void = () => undefined;
    const stop = storage.onAppended(() => {
      subscriber.notified += 1;
      signalled = true;
      wake?.();
    });
    try {
      let after = from;
      for (;;) {
        const finished = !writing;
        signalled = false;
        const page = await storage.readAll({ after, limit: 100 });
        for (const event of page) {
          if (!(event.position > after)) subscriber.outOfOrder += 1;
          subscriber.seen.push(event);
          after = event.position;
        }
        if (page.length > 0) continue;
        if (finished) {
          // A page may come back short (empty) while another reader holds the position lock: the
          // readAll contract. After the writers, only the committed head says the read is done;
          // a subscriber that never gets there is reported by the assertions below.
          if (after >= finalHead || Date.now() > finishedAt + settleMs) return subscriber;
          await sleep(5);
          continue;
        }
        if (signalled) continue;
        const woken = await new Promise<'signal' | 'timeout' | 'finished'>((resolve) => {
          const timer = setTimeout(() => resolve('timeout'), idleWaitMs);
          const finish = (): void => {
            clearTimeout(timer);
            resolve('finished');
          };
          wake = () => {
            clearTimeout(timer);
            resolve('signal');
          };
          idle.add(finish);
          woke = finish;
          if (!writing) finish();
        });
        idle.delete(woke);
        wake = undefined;
        if (woken === 'signal') subscriber.signalled += 1;
        else if (woken === 'timeout') subscriber.timedOut += 1;
      }
    } finally {
      stop();
    }
  };

  const [fromStart, fromMiddle, fromHead] = setup.subscriberStorages;
  const following = [follow(fromStart, 'from 0', 0), follow(fromMiddle, `from ${middle}`, middle)];

  const acknowledged: StoredEvent[] = [];
  let appends = 0;
  const deadline = Date.now() + writeForMs;
  const writers = Array.from({ length: writerCount }, async (_, writer) => {
    const storage = setup.writerStorages[writer % setup.writerStorages.length] as EventStorage;
    // Even writers own a stream and append at exact versions; odd ones share four streams.
    const exact = writer % 2 === 0;
    const streamId = exact ? `own-${writer}` : `shared-${writer % 8}`;
    let version = 0;
    while (Date.now() < deadline) {
      const size = random() < 0.5 ? 1 : 1 + Math.floor(random() * 20);
      const events = preparedEvents(size, (n) => ({ writer, n }));
      const hold = writer % 4 === 3;
      const result = await storage.append(
        appendRequest(streamId, events, exact ? version : 'any'),
        // A transaction held open across an await: later positions must wait for its commit.
        hold ? () => sleep(random() * 3) : undefined,
      );
      version = result.version;
      appends += 1;
      acknowledged.push(...result.events);
    }
  });
  // The third subscriber joins while the writers are busy, from the head at that moment.
  await sleep(Math.min(200, writeForMs / 4));
  following.push(fromHead.headPosition().then((head) => follow(fromHead, `from head ${head}`, head)));
  try {
    await Promise.all(writers);
    finalHead = await first.headPosition();
  } finally {
    finishedAt = Date.now();
    writing = false;
    for (const wakeUp of idle) wakeUp();
  }
  await Promise.all(following);

  const committed = await readEverything(first);
  expectConsistentLog(committed);
  expect(committed.length).toBe(seeded.length + acknowledged.length);
  const committedIds = new Set(committed.map((event) => event.eventId));
  expect(acknowledged.filter((event) => !committedIds.has(event.eventId))).toEqual([]);
  // Each acknowledgement named the position the event was committed at.
  const positions = new Map(committed.map((event) => [event.eventId, event.position]));
  expect(acknowledged.filter((event) => positions.get(event.eventId) !== event.position)).toEqual([]);
  for (const subscriber of subscribers) {
    const expected = committed.filter((event) => event.position > subscriber.from);
    expect({ subscriber: subscriber.label, outOfOrder: subscriber.outOfOrder }).toEqual({
      subscriber: subscriber.label,
      outOfOrder: 0,
    });
    expect(subscriber.seen.map((event) => event.eventId)).toEqual(expected.map((event) => event.eventId));
    // Told of appends by onAppended (a subscriber busy reading all along never needs to be woken).
    expect(subscriber.notified).toBeGreaterThan(0);
  }
  const seen = subscribers.reduce((sum, subscriber) => sum + subscriber.seen.length, 0);
  return {
    writers: writerCount,
    subscribers: subscribers.length,
    appends,
    events: committed.length,
    eventsSeenBySubscribers: seen,
    lost: acknowledged.length + seeded.length - committed.length + countMissing(subscribers, committed),
    duplicated: committed.length - committedIds.size,
  };
}

/** Events a subscriber should have seen and did not (0 once the assertions above hold). */
function countMissing(subscribers: readonly Subscriber[], committed: readonly StoredEvent[]): number {
  let missing = 0;
  for (const subscriber of subscribers) {
    const seen = new Set(subscriber.seen.map((event) => event.eventId));
    missing += committed.filter(
      (event) => event.position > subscriber.from && !seen.has(event.eventId),
    ).length;
  }
  return missing;
}
