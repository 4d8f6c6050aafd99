import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchEvent, type Contender, deposit } from '../contenders/contender.js';
import { collectGarbage, RssSampler } from '../harness/memory.js';
import type { Metrics, Scenario } from '../harness/run.js';
import { quantile } from '../harness/stats.js';
import type { Sizes } from './sizes.js';

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const now = (): bigint => process.hrtime.bigint();

/** Appends `total` events to `Account-<id>` in batches of up to 1000 (untimed seeding). */
export async function seedStream(contender: Contender, id: string, total: number, from = 0): Promise<void> {
  let version = from;
  while (version < from + total) {
    const size = Math.min(1000, from + total - version);
    const events = Array.from({ length: size }, (_, index) => deposit(version + index));
    const outcome = await contender.append(id, events, version);
    if (!outcome.ok) throw new Error(`${contender.label}: seeding ${id} conflicted at ${version}`);
    version = outcome.version;
  }
}

async function expectOk(contender: Contender, id: string, events: readonly BenchEvent[], expected: number) {
  const outcome = await contender.append(id, events, expected);
  if (!outcome.ok) throw new Error(`${contender.label}: unexpected conflict on ${id} at ${expected}`);
  return outcome.version;
}

/** 1. One client, one event per append, round-robin over 10 streams created as it goes. */
export function sequentialAppends(sizes: Sizes): Scenario {
  return {
    id: 's1-sequential',
    title: '1 sequential appends (1 event, 1 client)',
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async trial(contender, _prepared, rep) {
      const versions = new Array<number>(10).fill(0);
      const start = now();
      for (let i = 0; i < sizes.sequentialAppends; i += 1) {
        const stream = i % 10;
        versions[stream] = await expectOk(
          contender,
          `s1-${rep}-${stream}`,
          [deposit(i)],
          versions[stream] ?? 0,
        );
      }
      return { eventsPerSecond: sizes.sequentialAppends / seconds(start) };
    },
  };
}

/** 2. Concurrent appenders, each on its own stream. */
export function concurrentAppends(sizes: Sizes): Scenario {
  return {
    id: 's2-concurrent',
    title: `2 concurrent appends (${sizes.concurrentWriters} writers, distinct streams)`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async trial(contender, _prepared, rep) {
      const start = now();
      await Promise.all(
        Array.from({ length: sizes.concurrentWriters }, async (_, writer) => {
          let version = 0;
          for (let i = 0; i < sizes.appendsPerConcurrentWriter; i += 1) {
            version = await expectOk(contender, `s2-${rep}-${writer}`, [deposit(i)], version);
          }
        }),
      );
      const events = sizes.concurrentWriters * sizes.appendsPerConcurrentWriter;
      return { eventsPerSecond: events / seconds(start) };
    },
  };
}

/** 3. One client appending batches of `batchSize` events (5 streams, round-robin). */
export function batchAppends(sizes: Sizes): Scenario {
  return {
    id: 's3-batches',
    title: `3 batch appends (${sizes.batchSize} events per append)`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async trial(contender, _prepared, rep) {
      const batchesThrough = async (append: Contender['append'], prefix: string): Promise<number> => {
        const versions = new Array<number>(5).fill(0);
        const start = now();
        for (let i = 0; i < sizes.batches; i += 1) {
          const stream = i % 5;
          const events = Array.from({ length: sizes.batchSize }, (_, index) =>
            deposit(i * sizes.batchSize + index),
          );
          const outcome = await append(`${prefix}-${rep}-${stream}`, events, versions[stream] ?? 0);
          if (!outcome.ok) throw new Error(`${contender.label}: unexpected conflict in ${prefix}`);
          versions[stream] = outcome.version;
        }
        return (sizes.batches * sizes.batchSize) / seconds(start);
      };
      const eventsPerSecond = await batchesThrough(contender.append.bind(contender), 's3');
      const { appendByCopy } = contender;
      if (appendByCopy === undefined) return { eventsPerSecond };
      return {
        eventsPerSecond,
        copyEventsPerSecond: await batchesThrough(appendByCopy.bind(contender), 's3c'),
      };
    },
  };
}

/**
 * 4. Writers racing on one stream with expected versions: on a conflict a writer learns the current
 * version (from the error when the store reports it, otherwise by asking) and retries.
 */
export function contendedAppends(sizes: Sizes): Scenario {
  return {
    id: 's4-contended',
    title: `4 contended appends (${sizes.contendingWriters} writers, one stream, expected versions)`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async trial(contender, _prepared, rep) {
      const id = `s4-${rep}`;
      let successes = 0;
      let conflicts = 0;
      const start = now();
      await Promise.all(
        Array.from({ length: sizes.contendingWriters }, async (_, writer) => {
          let known = 0;
          while (successes < sizes.contendedSuccesses) {
            const outcome = await contender.append(id, [deposit(writer)], known);
            if (outcome.ok) {
              successes += 1;
              known = outcome.version;
            } else {
              conflicts += 1;
              known = outcome.actualVersion ?? (await contender.streamVersion(id, known));
            }
          }
        }),
      );
      const elapsed = seconds(start);
      return {
        eventsPerSecond: successes / elapsed,
        conflicts,
        retriesPerSuccess: conflicts / successes,
      };
    },
  };
}

/**
 * 4b. Issue #11's contended case as an application meets it: many writers executing commands on one
 * aggregate through the repository with its default settings, none of which may fail. Stores with
 * aggregates only.
 */
export function contendedCommands(sizes: Sizes): Scenario {
  return {
    id: 's4b-commands',
    title: `4b contended commands (${sizes.commandWriters} writers, one aggregate, default settings)`,
    primary: 'eventsPerSecond',
    unit: 'commands/s',
    higherIsBetter: true,
    applies: (contender) => contender.executeDeposit !== undefined,
    async trial(contender, _prepared, rep) {
      const execute = contender.executeDeposit?.bind(contender);
      if (execute === undefined) throw new Error(`${contender.label} has no aggregates`);
      const id = `s4b-${rep}`;
      let failures = 0;
      const start = now();
      await Promise.all(
        Array.from({ length: sizes.commandWriters }, async () => {
          for (let i = 0; i < sizes.commandsPerWriter; i += 1) {
            try {
              await execute(id);
            } catch {
              failures += 1;
            }
          }
        }),
      );
      const elapsed = seconds(start);
      const commands = sizes.commandWriters * sizes.commandsPerWriter;
      const version = await contender.streamVersion(id, 0);
      if (version !== commands - failures) {
        throw new Error(
          `${contender.label}: ${commands - failures} commands succeeded, stream at ${version}`,
        );
      }
      return { eventsPerSecond: (commands - failures) / elapsed, failures };
    },
  };
}

/** 5a. Reading a whole 10k-event stream. */
export function readStream(sizes: Sizes): Scenario {
  return {
    id: 's5a-read-stream',
    title: `5a read a ${sizes.streamLength.toLocaleString('en-US')}-event stream`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async prepare(contender) {
      await seedStream(contender, 'long', sizes.streamLength);
    },
    async trial(contender) {
      const start = now();
      const count = await contender.readStream('long');
      const elapsed = seconds(start);
      if (count !== sizes.streamLength) throw new Error(`${contender.label} read ${count} events`);
      return { eventsPerSecond: count / elapsed, ms: elapsed * 1000 };
    },
  };
}

/**
 * 5d. Reading the same 10k-event stream through an event type that evolved once (issue #12: what
 * an upcaster costs a read): the primary metric is the read with the upcaster, measured in the
 * same trial as a read without one. Only stores with upcasters run it.
 */
export function readStreamUpcast(sizes: Sizes): Scenario {
  return {
    id: 's5d-upcast',
    title: `5d read a ${sizes.streamLength.toLocaleString('en-US')}-event stream, one upcaster per event`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    applies: (contender) => contender.readStreamUpcast !== undefined,
    async prepare(contender) {
      if ((await contender.streamVersion('long', 0)) === 0)
        await seedStream(contender, 'long', sizes.streamLength);
    },
    async trial(contender, _prepared, rep) {
      const readUpcast = contender.readStreamUpcast?.bind(contender);
      if (readUpcast === undefined) throw new Error(`${contender.label} has no upcasters`);
      const timed = async (read: (id: string) => Promise<number>): Promise<number> => {
        const start = now();
        const count = await read('long');
        const elapsed = seconds(start);
        if (count !== sizes.streamLength) throw new Error(`${contender.label} read ${count} events`);
        return count / elapsed;
      };
      // Alternating which goes first, so neither always reads the warmer cache.
      const plainFirst = rep % 2 === 0;
      const first = await timed(plainFirst ? contender.readStream.bind(contender) : readUpcast);
      const second = await timed(plainFirst ? readUpcast : contender.readStream.bind(contender));
      return {
        eventsPerSecond: plainFirst ? second : first,
        plainEventsPerSecond: plainFirst ? first : second,
      };
    },
  };
}

/** 5b. Loading an aggregate folded from all of its 10k events (no snapshot). */
export function loadAggregate(sizes: Sizes): Scenario {
  return {
    id: 's5b-load-aggregate',
    title: `5b load an aggregate from ${sizes.streamLength.toLocaleString('en-US')} events (no snapshot)`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    async prepare(contender) {
      // The stream seeded by 5a; seed it when 5a was skipped.
      if ((await contender.streamVersion('long', 0)) === 0)
        await seedStream(contender, 'long', sizes.streamLength);
    },
    async trial(contender) {
      const start = now();
      const state = await contender.loadAggregate('long');
      const elapsed = seconds(start);
      if (state.count !== sizes.streamLength)
        throw new Error(`${contender.label} folded ${state.count} events`);
      return { eventsPerSecond: state.count / elapsed, ms: elapsed * 1000 };
    },
  };
}

/** Seeds the log scenarios 6 and 6b read: 100 streams, at least `catchUpEvents` in all. */
async function seedCatchUpLog(contender: Contender, sizes: Sizes): Promise<void> {
  const streams = 100;
  const perStream = Math.ceil(sizes.catchUpEvents / streams);
  for (let stream = 0; stream < streams; stream += 1) {
    await seedStream(contender, `catch-up-${stream}`, perStream);
  }
}

/** 6. Reading the whole global log from the start, folding it, with the peak RSS. */
export function catchUp(sizes: Sizes): Scenario {
  return {
    id: 's6-catch-up',
    title: `6 read-all catch-up (≥ ${sizes.catchUpEvents.toLocaleString('en-US')} events, ${sizes.catchUpBudgetMs / 1000} s budget)`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    prepare: (contender) => seedCatchUpLog(contender, sizes),
    async trial(contender) {
      collectGarbage();
      const before = process.memoryUsage.rss();
      const sampler = new RssSampler();
      const start = now();
      const result = await contender.catchUp(
        sizes.catchUpPageSize,
        performance.now() + sizes.catchUpBudgetMs,
      );
      const elapsed = seconds(start);
      const peak = sampler.stop();
      return {
        eventsPerSecond: result.events / elapsed,
        events: result.events,
        complete: result.events >= sizes.catchUpEvents ? 1 : 0,
        peakRssBytes: peak,
        rssGrowthBytes: peak - before,
      };
    },
  };
}

/**
 * 6b. An async projection caught up from the start of the log into a read-model table in the same
 * database (balance per account), each page's upsert and checkpoint in one transaction: the path of
 * a projection rebuilt or started on an existing log.
 */
export function projectionCatchUp(sizes: Sizes): Scenario {
  return {
    id: 's6b-projection',
    title: `6b projection catch-up into a read-model table (pages of ${sizes.catchUpPageSize.toLocaleString('en-US')})`,
    primary: 'eventsPerSecond',
    unit: 'events/s',
    higherIsBetter: true,
    applies: (contender) => contender.project !== undefined,
    async prepare(contender) {
      // The log seeded by 6; seed it when 6 was skipped.
      if ((await contender.streamVersion('catch-up-0', 0)) === 0) await seedCatchUpLog(contender, sizes);
    },
    async trial(contender, _prepared, rep) {
      if (contender.project === undefined) throw new Error(`${contender.label} has no projection`);
      const start = now();
      const result = await contender.project(
        rep,
        sizes.catchUpPageSize,
        performance.now() + sizes.catchUpBudgetMs,
      );
      const elapsed = seconds(start);
      // Every seeded deposit is 1: a read model that lost or doubled an event shows it here.
      if (result.balance !== result.events)
        throw new Error(`${contender.label}: balances sum to ${result.balance} over ${result.events} events`);
      return {
        eventsPerSecond: result.events / elapsed,
        events: result.events,
        complete: result.events >= sizes.catchUpEvents ? 1 : 0,
      };
    },
  };
}

/**
 * 7. Commit → asynchronous consumer latency under a steady write load: writers append one event at a
 * time with a short pause. An event's latency runs from the moment its append is called (the commit
 * happens inside that call) to the consumer receiving it, so it includes the append itself: an upper
 * bound on commit → consumer that needs no clock inside the database. Sequence numbers are unique per
 * run so no event of another trial or scenario can be mistaken for one of this trial.
 */
export function consumerLatency(sizes: Sizes): Scenario {
  return {
    id: 's7-latency',
    title: `7 append → consumer latency p99 (${sizes.latencyWriters} writers, ${sizes.latencyPauseMs} ms pauses)`,
    primary: 'p99Ms',
    unit: 'ms',
    higherIsBetter: false,
    async trial(contender, _prepared, rep): Promise<Metrics> {
      const sent = new Map<number, number>();
      const received = new Map<number, number>();
      const stop = await contender.subscribe((seq) => {
        if (!received.has(seq)) received.set(seq, performance.now());
      });
      await sleep(300);
      const start = now();
      await Promise.all(
        Array.from({ length: sizes.latencyWriters }, async (_, writer) => {
          let version = 0;
          for (let i = 0; i < sizes.latencyEventsPerWriter; i += 1) {
            const seq = 1_000_000_000 + rep * 1_000_000 + writer * 10_000 + i;
            sent.set(seq, performance.now());
            version = await expectOk(contender, `s7-${rep}-${writer}`, [deposit(seq)], version);
            await sleep(sizes.latencyPauseMs);
          }
        }),
      );
      const elapsed = seconds(start);
      const deadline = performance.now() + 5000;
      while (received.size < sent.size && performance.now() < deadline) await sleep(5);
      await stop();
      const latencies = [...sent].flatMap(([seq, at]) => {
        const got = received.get(seq);
        return got === undefined ? [] : [got - at];
      });
      return {
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        maxMs: Math.max(...latencies),
        missed: sent.size - latencies.length,
        writeEventsPerSecond: sent.size / elapsed,
      };
    },
  };
}
