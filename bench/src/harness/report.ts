import type { CurveSeries } from '../scenarios/snapshot-curve.js';
import { formatMiB, formatNumber, formatRatio, formatSummary, renderTable } from './format.js';
import type { ScenarioResult } from './run.js';

export interface ContenderInfo {
  readonly key: string;
  readonly label: string;
  readonly note: string;
  readonly consumerNote: string;
}

/** Everything one run measured: what latest.json holds. */
export interface BenchResults {
  readonly meta: {
    readonly date: string;
    readonly mode: 'quick' | 'full';
    readonly commit: string;
    readonly node: string;
    readonly postgres: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly durationSeconds: number;
  };
  readonly contenders: readonly ContenderInfo[];
  /** False while Hindsight runs on the in-memory storage: its ratios against PostgreSQL are withheld. */
  readonly hindsightComparable: boolean;
  readonly scenarios: readonly ScenarioResult[];
  readonly snapshotCurve: readonly CurveSeries[];
}

const columns = ['raw', 'hindsight', 'emmett', 'sqlite'] as const;

function primaryOf(scenario: ScenarioResult, key: string) {
  return scenario.contenders.find((contender) => contender.key === key)?.metrics[scenario.primary];
}

/**
 * A ratio that reads "how much better Hindsight is": throughput Hindsight/other, latency
 * other/Hindsight, so > 1 is always in Hindsight's favour.
 */
export function advantage(scenario: ScenarioResult, other: string): number | undefined {
  const mine = primaryOf(scenario, 'hindsight')?.median;
  const theirs = primaryOf(scenario, other)?.median;
  if (mine === undefined || theirs === undefined) return undefined;
  return scenario.higherIsBetter ? mine / theirs : theirs / mine;
}

/** The stdout table: median (min–max) per contender, and Hindsight's ratios. */
export function renderSummaryTable(results: BenchResults): string {
  const labels = new Map(results.contenders.map((contender) => [contender.key, contender.label]));
  const header = [
    'scenario',
    'unit',
    ...columns.filter((key) => labels.has(key)).map((key) => labels.get(key) ?? key),
    'Hindsight/Emmett',
    'Hindsight/raw',
  ];
  const rows = results.scenarios.map((scenario) => {
    const ratio = (other: string) => {
      if (!results.hindsightComparable) return 'n/a (memory)';
      const value = advantage(scenario, other);
      return value === undefined ? '–' : formatRatio(value, 1);
    };
    return [
      scenario.title,
      scenario.unit,
      ...columns
        .filter((key) => labels.has(key))
        .map((key) =>
          scenario.contenders.some((contender) => contender.key === key)
            ? formatSummary(primaryOf(scenario, key))
            : 'n/a',
        ),
      ratio('emmett'),
      ratio('raw'),
    ];
  });
  return renderTable(header, rows);
}

/** Secondary metrics: conflicts, memory, latency percentiles, the snapshot curve. */
export function renderDetails(results: BenchResults): string {
  const lines: string[] = [];
  for (const scenario of results.scenarios) {
    for (const contender of scenario.contenders) {
      const metric = (name: string) => contender.metrics[name]?.median ?? Number.NaN;
      if (scenario.id === 's4-contended') {
        lines.push(
          `${scenario.id} ${contender.label}: ${formatNumber(metric('conflicts'))} conflicts per trial, ` +
            `${formatNumber(metric('retriesPerSuccess'))} retries per successful append`,
        );
      }
      if (scenario.id === 's4b-commands') {
        lines.push(
          `${scenario.id} ${contender.label}: ${formatNumber(metric('failures'))} failed commands per trial`,
        );
      }
      if (scenario.id === 's3-batches' && contender.metrics.copyEventsPerSecond !== undefined) {
        lines.push(
          `${scenario.id} ${contender.label}: the same batches through COPY FROM STDIN: ` +
            `${formatNumber(metric('copyEventsPerSecond'))} events/s`,
        );
      }
      if (scenario.id === 's5d-upcast' && contender.metrics.plainEventsPerSecond !== undefined) {
        const plain = metric('plainEventsPerSecond');
        const upcast = metric('eventsPerSecond');
        lines.push(
          `${scenario.id} ${contender.label}: without an upcaster ${formatNumber(plain)} events/s, ` +
            `with one ${formatNumber(upcast)} events/s (${(upcast / plain).toFixed(2)}×)`,
        );
      }
      if (scenario.id === 's6b-projection' && metric('complete') < 1) {
        lines.push(`${scenario.id} ${contender.label}: stopped at the time budget before the head`);
      }
      if (scenario.id === 's6-catch-up') {
        lines.push(
          `${scenario.id} ${contender.label}: ${formatNumber(metric('events'))} events` +
            `${metric('complete') < 1 ? ' (stopped at the time budget before the head)' : ''}, peak RSS ` +
            `${formatMiB(metric('peakRssBytes'))} (+${formatMiB(metric('rssGrowthBytes'))} during the read)`,
        );
      }
      if (scenario.id === 's7-latency') {
        lines.push(
          `${scenario.id} ${contender.label}: p50 ${formatNumber(metric('p50Ms'))} ms, p99 ` +
            `${formatNumber(metric('p99Ms'))} ms, max ${formatNumber(metric('maxMs'))} ms, missed ` +
            `${formatNumber(metric('missed'))}, offered load ${formatNumber(metric('writeEventsPerSecond'))} events/s`,
        );
      }
    }
  }
  if (results.snapshotCurve.length > 0) {
    const sizes = results.snapshotCurve[0]?.points.map((point) => point.events) ?? [];
    const header = ['aggregate load, median ms', ...sizes.map((size) => `${formatNumber(size)} ev`)];
    const rows = results.snapshotCurve.flatMap((series) => [
      ...(series.points.some((point) => point.withSnapshot !== undefined)
        ? [
            [
              `${series.label}, snapshot every 100`,
              ...series.points.map((point) => formatNumber(point.withSnapshot?.median ?? Number.NaN)),
            ],
          ]
        : []),
      [
        `${series.label}, no snapshot`,
        ...series.points.map((point) => formatNumber(point.withoutSnapshot.median)),
      ],
    ]);
    lines.push('', renderTable(header, rows));
  }
  lines.push('', 'Consumers:');
  for (const contender of results.contenders) lines.push(`  ${contender.label}: ${contender.consumerNote}`);
  lines.push('Contenders:');
  for (const contender of results.contenders) lines.push(`  ${contender.label}: ${contender.note}`);
  return lines.join('\n');
}

/** The targets, each with what this run measured (reported, never asserted). */
export function renderTargets(results: BenchResults): string {
  if (!results.hindsightComparable) return 'Targets: not evaluated (Hindsight ran in memory).';
  const mark = (met: boolean) => (met ? 'met   ' : 'MISSED');
  const lines = ['Targets (measured, not asserted):'];
  const byId = new Map(results.scenarios.map((scenario) => [scenario.id, scenario]));
  for (const scenario of results.scenarios) {
    const ratio = advantage(scenario, 'emmett');
    if (ratio !== undefined)
      lines.push(`  ${mark(ratio >= 1.5)} ≥ 1.5× Emmett   ${scenario.title}: ${ratio.toFixed(2)}×`);
  }
  // Issue #15: the hand-written floor, per scenario (s7 is a latency: within 2× raw's p99).
  const rawFloors: readonly [string, number, string][] = [
    ['s1-sequential', 0.75, '≥ 0.75× raw'],
    ['s2-concurrent', 1, '≥ 1.00× raw'],
    ['s3-batches', 0.85, '≥ 0.85× raw'],
    ['s6b-projection', 0.75, '≥ 0.75× raw'],
    ['s7-latency', 0.5, 'p99 ≤ 2× raw'],
  ];
  for (const [id, floor, label] of rawFloors) {
    const scenario = byId.get(id);
    const ratio = scenario === undefined ? undefined : advantage(scenario, 'raw');
    if (scenario !== undefined && ratio !== undefined) {
      lines.push(`  ${mark(ratio >= floor)} ${label.padEnd(14)} ${scenario.title}: ${ratio.toFixed(2)}×`);
    }
  }
  const curve = results.snapshotCurve.find((series) => series.key === 'hindsight');
  const loads = (curve?.points ?? [])
    .filter((point) => point.events >= 100 && point.withSnapshot !== undefined)
    .map((point) => point.withSnapshot?.median ?? Number.NaN);
  if (loads.length > 1) {
    const spread = Math.max(...loads) / Math.min(...loads);
    lines.push(
      `  ${mark(spread <= 5)} flat snapshot load   100 … ${formatNumber(curve?.points.at(-1)?.events ?? 0)} events: ` +
        `${formatNumber(Math.min(...loads))}–${formatNumber(Math.max(...loads))} ms (max/min ${spread.toFixed(1)}×)`,
    );
  }
  const projection = byId
    .get('s6b-projection')
    ?.contenders.find((contender) => contender.key === 'hindsight');
  const rate = projection?.metrics.eventsPerSecond?.median;
  if (rate !== undefined) {
    lines.push(
      `  ${mark(rate >= 50_000)} ≥ 50k events/s projection catch-up into a PostgreSQL read model: ${formatNumber(rate)} events/s`,
    );
  }
  for (const contender of byId.get('s4b-commands')?.contenders ?? []) {
    const failures = contender.metrics.failures?.max;
    if (failures !== undefined) {
      lines.push(
        `  ${mark(failures === 0)} no failed command   4b contended commands, ${contender.label}: ${formatNumber(failures)} at most`,
      );
    }
  }
  const latency = byId.get('s7-latency')?.contenders.find((contender) => contender.key === 'hindsight');
  const p99 = latency?.metrics.p99Ms?.median;
  if (p99 !== undefined)
    lines.push(`  ${mark(p99 < 50)} p99 < 50 ms append → consumer: ${formatNumber(p99)} ms`);
  return lines.join('\n');
}
