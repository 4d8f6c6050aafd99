import { LeaseLostError, type StoredLease } from '@hindsight/core';
import type { Session } from '../internal/driver.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Consumer leases as rows of `leases` (owner, expiry), by the database's clock, so processes on
 * machines with skewed clocks still agree. Chosen over advisory locks: a lease row is checked
 * inside the consumer's own transaction (`FOR SHARE`, held to its end, so a takeover's update
 * waits until that transaction is over: the fence), works through poolers in transaction mode and
 * on PGlite, and shows who holds it. A dead owner's lease lapses after its ttl.
 */
export interface LeaseStatements {
  readonly acquire: Statement;
  readonly release: Statement;
  readonly holds: Statement;
  readonly read: Statement;
}

/** The lease statements of `schema` (already quoted). */
export function leaseStatements(schema: string): LeaseStatements {
  return {
    // clock_timestamp(), not now(): a statement that waited on a row lock judges expiry as of now.
    acquire: defineStatement(
      'acquire_lease',
      `INSERT INTO ${schema}.leases AS l (name, owner, expires_at)
VALUES ($1::text, $2::text, clock_timestamp() + $3::int8 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,
  expires_at = clock_timestamp() + $3::int8 * interval '1 millisecond'
WHERE l.owner = excluded.owner OR l.expires_at <= clock_timestamp()
RETURNING l.owner`,
    ),
    release: defineStatement(
      'release_lease',
      `DELETE FROM ${schema}.leases WHERE name = $1::text AND owner = $2::text`,
    ),
    holds: defineStatement(
      'assert_lease',
      `SELECT 1 AS held FROM ${schema}.leases
WHERE name = $1::text AND owner = $2::text AND expires_at > clock_timestamp() FOR SHARE`,
    ),
    read: defineStatement(
      'read_lease',
      `SELECT owner, (extract(epoch FROM expires_at) * 1000)::int8 AS expires_ms FROM ${schema}.leases
WHERE name = $1::text`,
    ),
  };
}

export async function acquireLease(
  session: Session,
  statements: LeaseStatements,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const rows = await session.run(statements.acquire, [name, owner, Math.max(1, Math.round(ttlMs))]);
  return rows.length === 1;
}

export async function releaseLease(
  session: Session,
  statements: LeaseStatements,
  name: string,
  owner: string,
): Promise<void> {
  await session.run(statements.release, [name, owner]);
}

/** The fence, in the transaction of `session`: the row stays share-locked until it ends. */
export async function assertLease(
  session: Session,
  statements: LeaseStatements,
  name: string,
  owner: string,
): Promise<void> {
  const rows = await session.run(statements.holds, [name, owner]);
  if (rows.length === 0) throw new LeaseLostError({ lease: name, owner });
}

export async function readLease(
  session: Session,
  statements: LeaseStatements,
  name: string,
): Promise<StoredLease | undefined> {
  const [row] = await session.run<{ owner: string; expires_ms: string }>(statements.read, [name]);
  return row === undefined
    ? undefined
    : { name, owner: row.owner, expiresAt: new Date(Number(row.expires_ms)) };
}
