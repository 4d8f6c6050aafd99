import type pg from 'pg';
import type { BalanceDelta, CatchUpResult } from './contender.js';

// One read model for every PostgreSQL contender, written by the same statement, so scenario 6b
// compares what sits between the log and the table, not the SQL.

/** A trial's read-model table, schema-qualified (bench schemas are generated, safe names). */
export const balancesTable = (schema: string, trial: number): string => `"${schema}".balances_${trial}`;

export const createBalancesSql = (table: string): string =>
  `CREATE TABLE ${table} (account text PRIMARY KEY, balance bigint NOT NULL, events integer NOT NULL)`;

/** One multi-row upsert per page: $1 accounts, $2 amounts, $3 event counts. */
export const upsertBalancesSql = (
  table: string,
): string => `INSERT INTO ${table} AS b (account, balance, events)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
  ON CONFLICT (account) DO UPDATE SET balance = b.balance + excluded.balance, events = b.events + excluded.events`;

export function upsertBalancesParams(deltas: readonly BalanceDelta[]): unknown[] {
  return [
    deltas.map((delta) => delta.account),
    deltas.map((delta) => delta.amount),
    deltas.map((delta) => delta.events),
  ];
}

/** What the read model holds: the events it counted and the balances' sum. */
export async function readBalanceTotals(pool: pg.Pool, table: string): Promise<CatchUpResult> {
  const result = await pool.query<{ events: string; balance: string }>(
    `SELECT coalesce(sum(events), 0)::int8 AS events, coalesce(sum(balance), 0)::int8 AS balance FROM ${table}`,
  );
  const row = result.rows[0];
  return { events: Number(row?.events ?? 0), balance: Number(row?.balance ?? 0) };
}
