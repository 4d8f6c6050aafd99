import pg from 'pg';
import { createPostgresStorage } from '@hindsight/postgres';
for (const url of ['postgres://postgres@127.0.0.1:5432/test', 'postgres://postgres@127.0.0.1:5432/nosuchdb_audit']) {
  const pool = new pg.Pool({ connectionString: url, max: 2 }); pool.on('error', () => {});
  const storage = createPostgresStorage({ client: pool, schema: 'audit11_nothing_here' });
  const t = Date.now();
  try { console.log(await storage.headPosition()); } catch (e) { console.log(Date.now() - t, 'ms', e.code, e.retryable, e.message); }
  await pool.end();
}
