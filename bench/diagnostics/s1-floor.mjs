// Scenario 1's floor on this design: Hindsight's one-event append statement sent bare through `pg`
// (no Hindsight code on the client), beside raw pg's INSERT and Hindsight's whole append, in blocks
// of sequential appends that alternate between the three as the bench's trials do. Each block is
// timed in windows, so the first appends after a switch and the steady state show apart.
//
// It times the adapter's own statement, so it imports it from the built package's internals on
// purpose (not part of the public API). Run after `npm run build` and `npm run build -w bench`:
//   node bench/diagnostics/s1-floor.mjs [--blocks=8] [--appends=2000] [--window=200]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createPostgresStorage } from '@hindsight/postgres';
import { positionLockKey } from '../../packages/postgres/dist/internal/position-lock.js';
import { appendStatements } from '../../packages/postgres/dist/streams/append.js';
import { deposit } from '../dist/contenders/contender.js';
import { createHindsightContender } from '../dist/contenders/hindsight.js';
import { createPool } from '../dist/contenders/pg-pools.js';
import { createRawContender } from '../dist/contenders/raw-pg.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '8' },
    appends: { type: 'string', default: '2000' },
    window: { type: 'string', default: '200' },
  },
});
const blocks = Number(values.blocks);
const appendsPerBlock = Number(values.appends);
const windowSize = Number(values.window);
const windows = Math.floor(appendsPerBlock / windowSize);
const url = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = `s1_floor_${Date.now().toString(36)}`;
const schemas = { raw: `${run}_raw`, hindsight: `${run}_hindsight` };

const admin = createPool(url, 1);
await admin.query(`CREATE SCHEMA ${schemas.raw}`);
const raw = await createRawContender(url, schemas.raw, 4);
const storagePool = createPool(url, 4);
const storage = createPostgresStorage({ client: storagePool, schema: schemas.hindsight });
await storage.migrate();
const hindsight = createHindsightContender({ key: 'hindsight', label: 'Hindsight', note: '', storage });

// The statement the storage sends for a one-event append, on a pool of its own.
const barePool = createPool(url, 4);
const statements = appendStatements(`"${schemas.hindsight}"`);
const lockKey = positionLockKey(schemas.hindsight);
const bare = {
  async append(id, [event], expectedVersion) {
    const create = expectedVersion === 0;
    const statement = create ? statements.oneEvent.create : statements.oneEvent.bump;
    const params = [
      `Account-${id}`,
      'Account',
      randomUUID(),
      event.type,
      JSON.stringify(event.data),
      JSON.stringify({ correlationId: randomUUID() }),
      ...lockKey,
      null,
    ];
    if (!create) params.push(expectedVersion);
    const result = await barePool.query({ name: statement.name, text: statement.text, values: params });
    return { ok: true, version: Number(result.rows[0].version) };
  },
};

const contenders = { 'raw pg INSERT': raw, 'bare statement': bare, 'Hindsight append': hindsight };
const microseconds = Object.fromEntries(
  Object.keys(contenders).map((name) => [name, new Array(windows).fill(0)]),
);

let block = 0;
async function runBlock(name, contender, measured) {
  block += 1;
  const versions = new Array(10).fill(0);
  let windowStart = performance.now();
  for (let index = 0; index < appendsPerBlock; index += 1) {
    const stream = index % 10;
    const outcome = await contender.append(`${block}-${stream}`, [deposit(index)], versions[stream]);
    versions[stream] = outcome.version;
    if ((index + 1) % windowSize === 0) {
      const now = performance.now();
      if (measured)
        microseconds[name][(index + 1) / windowSize - 1] += ((now - windowStart) * 1000) / windowSize;
      windowStart = now;
    }
  }
}

const warmupBlocks = 2;
for (let round = 0; round < warmupBlocks + blocks; round += 1) {
  const measured = round >= warmupBlocks;
  process.stderr.write(`\r${measured ? `block ${round - warmupBlocks + 1}/${blocks}` : 'warm-up'}   `);
  for (const [name, contender] of Object.entries(contenders)) await runBlock(name, contender, measured);
}
process.stderr.write('\n');

const averages = Object.fromEntries(
  Object.entries(microseconds).map(([name, perWindow]) => [name, perWindow.map((total) => total / blocks)]),
);
const rawAverage = averages['raw pg INSERT'];
const mean = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const early = Math.max(1, Math.round(300 / windowSize));
console.log(
  `µs per append, mean of ${blocks} blocks of ${appendsPerBlock}, windows of ${windowSize}; ratio: raw pg's time / the contender's`,
);
console.log(
  `${'contender'.padEnd(18)} | ${'windows'.padEnd(windows * 5)} | first ${early * windowSize} | second half`,
);
for (const [name, average] of Object.entries(averages)) {
  const ratio = (from, to) => (mean(rawAverage.slice(from, to)) / mean(average.slice(from, to))).toFixed(2);
  console.log(
    `${name.padEnd(18)} | ${average.map((x) => x.toFixed(0).padStart(4)).join(' ')} | ${ratio(0, early).padStart(9)} | ${ratio(Math.floor(windows / 2), windows).padStart(11)}`,
  );
}

await hindsight.close();
await Promise.all([storagePool.end(), barePool.end()]);
await raw.close();
await admin.query(`DROP SCHEMA ${schemas.raw} CASCADE`);
await admin.query(`DROP SCHEMA ${schemas.hindsight} CASCADE`);
await admin.end();
