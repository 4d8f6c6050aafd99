import type { Contender } from '../contenders/contender.js';
import { type Summary, summarize } from './stats.js';

/** What one timed trial measured: named metrics (events/s, ms, bytes, counts). */
export type Metrics = Readonly<Record<string, number>>;

/** A scenario run for each contender, interleaved and repeated. */
export interface Scenario<Prepared = unknown> {
  readonly id: string;
  readonly title: string;
  /** The metric the table and chart show. */
  readonly primary: string;
  readonly unit: string;
  /** Whether a larger primary value is better (throughput) or a smaller one (latency). */
  readonly higherIsBetter: boolean;
  /** Untimed setup per contender (seeding). */
  prepare?(contender: Contender): Promise<Prepared>;
  trial(contender: Contender, prepared: Prepared, rep: number): Promise<Metrics>;
  applies?(contender: Contender): boolean;
}

export interface ContenderResult {
  readonly key: string;
  readonly label: string;
  /** One summary per metric, over the measured (non-warm-up) trials. */
  readonly metrics: Readonly<Record<string, Summary>>;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly primary: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly contenders: readonly ContenderResult[];
}

export interface RunOptions {
  /** Measured trials per contender (warm-up trials come on top). */
  readonly reps: number;
  readonly warmups: number;
  /**
   * Warm-up goes on, trial after trial, until a contender has also spent this long on it: a
   * longer code path takes longer for V8 to compile hot, and one short trial measured some
   * contenders' interpreted code against others' optimised code.
   */
  readonly warmupMs: number;
  readonly log: (line: string) => void;
}

/**
 * Runs `scenario` for each contender: warm-up trials first (discarded; at least `warmups` rounds,
 * and each contender's until it spent `warmupMs` on them), then `reps` rounds in which every
 * contender runs one trial, the order rotating each round so no contender always goes first (and
 * none always runs on the warmest cache or the fullest table).
 */
export async function runScenario<Prepared>(
  scenario: Scenario<Prepared>,
  contenders: readonly Contender[],
  options: RunOptions,
): Promise<ScenarioResult> {
  const applicable = contenders.filter((contender) => scenario.applies?.(contender) ?? true);
  const prepared = new Map<Contender, Prepared>();
  for (const contender of applicable) {
    options.log(`[${scenario.id}] preparing ${contender.label}…`);
    prepared.set(
      contender,
      scenario.prepare === undefined ? (undefined as Prepared) : await scenario.prepare(contender),
    );
  }
  const samples = new Map<Contender, Record<string, number[]>>(applicable.map((c) => [c, {}]));
  const rounds = options.warmups + options.reps;
  for (let round = 0; round < rounds; round += 1) {
    const warmup = round < options.warmups;
    const order = applicable.map((_, index) => applicable[(index + round) % applicable.length] as Contender);
    for (const contender of order) {
      if (warmup && round === options.warmups - 1) {
        await warmUp(scenario, contender, prepared.get(contender) as Prepared, options, rounds);
      }
      const metrics = await scenario.trial(contender, prepared.get(contender) as Prepared, round);
      const value = metrics[scenario.primary] ?? Number.NaN;
      options.log(
        `[${scenario.id}] ${warmup ? 'warm-up' : `rep ${round - options.warmups + 1}/${options.reps}`} ` +
          `${contender.label}: ${value.toFixed(value >= 100 ? 0 : 2)} ${scenario.unit}`,
      );
      if (warmup) continue;
      const bucket = samples.get(contender) ?? {};
      for (const [name, metric] of Object.entries(metrics)) bucket[name] = [...(bucket[name] ?? []), metric];
    }
  }
  return {
    id: scenario.id,
    title: scenario.title,
    primary: scenario.primary,
    unit: scenario.unit,
    higherIsBetter: scenario.higherIsBetter,
    contenders: applicable.map((contender) => ({
      key: contender.key,
      label: contender.label,
      metrics: Object.fromEntries(
        Object.entries(samples.get(contender) ?? {}).map(([name, values]) => [name, summarize(values)]),
      ),
    })),
  };
}

/**
 * Extra warm-up trials of one contender until it has spent `warmupMs` in warm-up (the last warm-up
 * round's trial comes after them). Their trial numbers follow the measured rounds', so every
 * trial works on streams and tables of its own.
 */
async function warmUp<Prepared>(
  scenario: Scenario<Prepared>,
  contender: Contender,
  prepared: Prepared,
  options: RunOptions,
  rounds: number,
): Promise<void> {
  const started = performance.now();
  for (let extra = 0; performance.now() - started < options.warmupMs; extra += 1) {
    await scenario.trial(contender, prepared, rounds + extra);
  }
}
