import { formatNumber } from './format.js';
import type { BenchResults } from './report.js';

const colours: Readonly<Record<string, string>> = {
  raw: '#718096',
  hindsight: '#2b6cb0',
  emmett: '#dd6b20',
  sqlite: '#38a169',
};

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

const width = 960;
const labelWidth = 170;
const valueWidth = 190;
const barArea = width - labelWidth - valueWidth - 40;

/**
 * One self-contained SVG: a panel of horizontal bars per scenario (median, with a min–max whisker;
 * each panel has its own scale), then the aggregate load curve against stream length (log–log).
 */
export function renderChart(results: BenchResults): string {
  const parts: string[] = [];
  let y = 20;
  const text = (x: number, yy: number, content: string, attrs = '') =>
    parts.push(`<text x="${x}" y="${yy}" ${attrs}>${escapeXml(content)}</text>`);

  text(20, y + 8, `Hindsight benchmarks — ${results.meta.mode} run, ${results.meta.date}`, 'class="title"');
  y += 22;
  text(
    20,
    y + 8,
    `PostgreSQL ${results.meta.postgres} · Node ${results.meta.node} · ${results.meta.cpus} × ${results.meta.cpuModel} · commit ${results.meta.commit}`,
    'class="note"',
  );
  y += 16;
  if (!results.hindsightComparable) {
    text(
      20,
      y + 8,
      'Hindsight ran on its in-memory storage (PostgreSQL adapter pending): not comparable.',
      'class="warn"',
    );
    y += 16;
  }
  y += 14;

  for (const scenario of results.scenarios) {
    const rows = scenario.contenders;
    const max = Math.max(...rows.map((row) => row.metrics[scenario.primary]?.max ?? 0), 1e-9);
    text(
      20,
      y + 12,
      `${scenario.title} — ${scenario.unit}, ${scenario.higherIsBetter ? 'higher' : 'lower'} is better`,
      'class="panel"',
    );
    y += 22;
    for (const row of rows) {
      const summary = row.metrics[scenario.primary];
      const median = summary?.median ?? 0;
      const scale = (value: number) => (Math.max(0, value) / max) * barArea;
      text(labelWidth + 10, y + 13, row.label, 'text-anchor="end" class="label"');
      parts.push(
        `<rect x="${labelWidth + 20}" y="${y + 2}" width="${scale(median).toFixed(1)}" height="14" fill="${colours[row.key] ?? '#999'}"/>`,
      );
      if (summary !== undefined && summary.samples.length > 1) {
        const x1 = labelWidth + 20 + scale(summary.min);
        const x2 = labelWidth + 20 + scale(summary.max);
        parts.push(
          `<line x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + 9}" y2="${y + 9}" class="whisker"/>`,
          `<line x1="${x1.toFixed(1)}" x2="${x1.toFixed(1)}" y1="${y + 5}" y2="${y + 13}" class="whisker"/>`,
          `<line x1="${x2.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + 5}" y2="${y + 13}" class="whisker"/>`,
        );
      }
      const spread =
        summary !== undefined && summary.samples.length > 1
          ? ` (${formatNumber(summary.min)}–${formatNumber(summary.max)})`
          : '';
      text(labelWidth + 30 + barArea, y + 13, `${formatNumber(median)}${spread}`, 'class="value"');
      y += 20;
    }
    y += 14;
  }

  y = renderCurve(results, parts, y + 10);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" viewBox="0 0 ${width} ${y + 20}" font-family="system-ui, sans-serif">`,
    '<style>.title{font-size:18px;font-weight:600}.panel{font-size:13px;font-weight:600}.label,.value{font-size:12px}.note{font-size:11px;fill:#555}.warn{font-size:12px;fill:#c53030}.axis{stroke:#999;stroke-width:1}.grid{stroke:#e2e8f0;stroke-width:1}.whisker{stroke:#1a202c;stroke-width:1}</style>',
    `<rect width="${width}" height="${y + 20}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function renderCurve(results: BenchResults, parts: string[], top: number): number {
  const series = results.snapshotCurve.flatMap((curve) => [
    ...(curve.points.some((point) => point.withSnapshot !== undefined)
      ? [
          {
            label: `${curve.label}, snapshot every 100`,
            key: curve.key,
            dashed: false,
            points: curve.points.map(
              (point) => [point.events, point.withSnapshot?.median ?? Number.NaN] as const,
            ),
          },
        ]
      : []),
    {
      label: `${curve.label}, no snapshot`,
      key: curve.key,
      dashed: true,
      points: curve.points.map((point) => [point.events, point.withoutSnapshot.median] as const),
    },
  ]);
  if (series.length === 0) return top;
  const all = series.flatMap((line) => line.points).filter(([, ms]) => Number.isFinite(ms) && ms > 0);
  const xs = all.map(([events]) => events);
  const ys = all.map(([, ms]) => ms);
  const logX = [Math.floor(Math.log10(Math.min(...xs))), Math.ceil(Math.log10(Math.max(...xs)))] as const;
  const logY = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))] as const;
  const left = 90;
  const plotWidth = 560;
  const plotHeight = 260;
  const plotTop = top + 30;
  const px = (events: number) =>
    left + ((Math.log10(events) - logX[0]) / (logX[1] - logX[0] || 1)) * plotWidth;
  const py = (ms: number) =>
    plotTop + plotHeight - ((Math.log10(ms) - logY[0]) / (logY[1] - logY[0] || 1)) * plotHeight;
  parts.push(
    `<text x="20" y="${top + 12}" class="panel">5c aggregate load time against stream length (log–log, median ms; flat = bounded by the snapshot)</text>`,
  );
  for (let power = logX[0]; power <= logX[1]; power += 1) {
    const x = px(10 ** power);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${plotTop + plotHeight}" class="grid"/>`,
      `<text x="${x}" y="${plotTop + plotHeight + 16}" text-anchor="middle" class="label">${formatNumber(10 ** power)}</text>`,
    );
  }
  for (let power = logY[0]; power <= logY[1]; power += 1) {
    const yy = py(10 ** power);
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${yy}" y2="${yy}" class="grid"/>`,
      `<text x="${left - 6}" y="${yy + 4}" text-anchor="end" class="label">${formatNumber(10 ** power)} ms</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${plotTop + plotHeight + 34}" text-anchor="middle" class="label">events in the stream</text>`,
  );
  series.forEach((line, index) => {
    const points = line.points.filter(([, ms]) => Number.isFinite(ms) && ms > 0);
    const path = points.map(([events, ms]) => `${px(events).toFixed(1)},${py(ms).toFixed(1)}`).join(' ');
    const colour = colours[line.key] ?? '#999';
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...points.map(
        ([events, ms]) =>
          `<circle cx="${px(events).toFixed(1)}" cy="${py(ms).toFixed(1)}" r="3" fill="${colour}"/>`,
      ),
    );
    const legendY = plotTop + 10 + index * 18;
    parts.push(
      `<line x1="${left + plotWidth + 20}" x2="${left + plotWidth + 50}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"${line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + plotWidth + 56}" y="${legendY + 4}" class="label">${escapeXml(line.label)}</text>`,
    );
  });
  return plotTop + plotHeight + 50;
}
