// Append throughput: raw INSERT against Hindsight's append, N writers, with or without a subscriber
// following the log. Not part of the test suite.
//
//   npx tsc -b packages/postgres && node packages/postgres/scripts/horizon-bench.mjs \
//     [--module=packages/postgres/dist/index.js] [--seconds=3] [--writers=16,1] [--follow]
//
// --module picks the build to measure (say, an older commit's dist in a git worktree).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    return [key, value];
  }),
);
const url = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(args.seconds ?? 3);
const writerCounts = (args.writers ?? '16,1').split(',').map(Number);
const follow = args.follow === 'true';
const modulePath = resolve(args.module ?? 'packages/postgres/dist/index.js');
const { createPostgresStorage } = await import(pathToFileURL(modulePath).href);

const pool = new pg.Pool({ connectionString: url, max: Math.max(...writerCounts) + 4 });

async function run(writers, append) {
  let count = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (Date.now() < deadline) {
        await append(writer);
        count += 1;
      }
    }),
  );
  return { count, rate: (count * 1000) / (Date.now() - started) };
}

async function raw(writers) {
  const schema = `bench_raw_${randomUUID().slice(0, 8)}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(
    `CREATE TABLE ${schema}.events (position bigserial PRIMARY KEY, stream_id text NOT NULL, event_id uuid NOT NULL UNIQUE, data jsonb NOT NULL)`,
  );
  try {
    const text = `INSERT INTO ${schema}.events (stream_id, event_id, data) VALUES ($1, $2, $3)`;
    return await run(writers, (writer) =>
      pool.query({
        name: `raw_${schema}`,
        text,
        values: [`s-${writer}`, randomUUID(), JSON.stringify({ writer })],
      }),
    );
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  }
}

async function hindsight(writers) {
  const schema = `bench_hs_${randomUUID().slice(0, 8)}`;
  const storage = createPostgresStorage({ client: pool, schema });
  await storage.migrate();
  const reader = createPostgresStorage({ client: pool, schema });
  let following = true;
  let seen = 0;
  let lastSeen = 0;
  let wake = () => undefined;
  const stop = follow ? reader.onAppended(() => wake()) : () => undefined;
  // As core consumers read: the head, then a page up to it.
  const subscriber = follow
    ? (async () => {
        while (following) {
          const head = await reader.headPosition();
          const page = await reader.readAll({ after: lastSeen, upTo: head, limit: 500 });
          seen += page.length;
          lastSeen = page.at(-1)?.position ?? lastSeen;
          if (page.length < 500) {
            await new Promise((done) => {
              wake = done;
              setTimeout(done, 50);
            });
          }
        }
      })()
    : Promise.resolve();
  try {
    const result = await run(writers, (writer) =>
      storage.append({
        streamId: `s-${writer}`,
        streamType: 'Bench',
        expectedVersion: 'any',
        events: [{ eventId: randomUUID(), type: 'Ticked', data: { writer }, metadata: {} }],
      }),
    );
    const behind = result.count - seen;
    following = false;
    wake();
    await subscriber;
    return { ...result, behind: follow ? behind : undefined };
  } finally {
    stop();
    await storage.close();
    await reader.close();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  }
}

for (const writers of writerCounts) {
  const rawResult = await raw(writers);
  const hsResult = await hindsight(writers);
  const ratio = hsResult.rate / rawResult.rate;
  console.log(
    `${String(writers).padStart(2)} writers${follow ? ' + subscriber' : ''}: raw ${rawResult.rate.toFixed(0)} ev/s, ` +
      `hindsight ${hsResult.rate.toFixed(0)} ev/s (${(ratio * 100).toFixed(0)} % of raw)` +
      (hsResult.behind === undefined ? '' : `, subscriber ${hsResult.behind} events behind at the end`),
  );
}
await pool.end();
