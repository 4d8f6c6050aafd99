import { type Contender, isSnapshotting } from '../contenders/contender.js';
import { collectGarbage } from '../harness/memory.js';
import { type Summary, summarize } from '../harness/stats.js';
import { seedStream } from './scenarios.js';
import type { Sizes } from './sizes.js';

/** Load times of one contender's aggregates at one stream length. */
export interface CurvePoint {
  readonly events: number;
  /** ms per load through the latest snapshot (snapshotting contenders only). */
  readonly withSnapshot?: Summary;
  /** ms per load folding every event. */
  readonly withoutSnapshot: Summary;
}

export interface CurveSeries {
  readonly key: string;
  readonly label: string;
  readonly points: readonly CurvePoint[];
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * 5c. Aggregate load time against stream length (10 … 100k events), through snapshots where the
 * contender has them and by folding every event otherwise; sizes and contenders interleaved.
 */
export async function runSnapshotCurve(
  contenders: readonly Contender[],
  sizes: Sizes,
  log: (line: string) => void,
): Promise<CurveSeries[]> {
  const applicable = contenders.filter((contender) => contender.key !== 'raw');
  for (const contender of applicable) {
    for (const events of sizes.snapshotSizes) {
      log(`[s5c-snapshots] seeding ${contender.label} with a ${events}-event aggregate…`);
      if (isSnapshotting(contender)) await contender.seedSnapshotted(`snap-${events}`, events);
      else await seedStream(contender, `snap-${events}`, events);
    }
  }
  const samples = new Map<string, { with: number[]; without: number[] }>();
  const rounds = 1 + sizes.snapshotReps;
  for (let round = 0; round < rounds; round += 1) {
    for (const events of sizes.snapshotSizes) {
      for (const contender of applicable) {
        const bucket = samples.get(`${contender.key}/${events}`) ?? { with: [], without: [] };
        samples.set(`${contender.key}/${events}`, bucket);
        // Large folds leave garbage behind: collect it so the next (small) load is not charged for it.
        collectGarbage();
        if (isSnapshotting(contender)) {
          const start = process.hrtime.bigint();
          const state = await contender.loadSnapshotted(`snap-${events}`);
          const elapsed = ms(start);
          if (state.count !== events)
            throw new Error(`${contender.label} loaded ${state.count} of ${events}`);
          if (round > 0) bucket.with.push(elapsed);
        }
        collectGarbage();
        const start = process.hrtime.bigint();
        const state = await contender.loadAggregate(`snap-${events}`);
        const elapsed = ms(start);
        if (state.count !== events) throw new Error(`${contender.label} folded ${state.count} of ${events}`);
        if (round > 0) bucket.without.push(elapsed);
      }
      log(
        `[s5c-snapshots] ${round === 0 ? 'warm-up' : `rep ${round}/${sizes.snapshotReps}`} ${events} events done`,
      );
    }
  }
  return applicable.map((contender) => ({
    key: contender.key,
    label: contender.label,
    points: sizes.snapshotSizes.map((events) => {
      const bucket = samples.get(`${contender.key}/${events}`) ?? { with: [], without: [] };
      return {
        events,
        ...(bucket.with.length > 0 ? { withSnapshot: summarize(bucket.with) } : {}),
        withoutSnapshot: summarize(bucket.without),
      };
    }),
  }));
}
