import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * The last committed position at or below $1 (a safe horizon, see `ReadHorizon`): positions
 * above the last event may be holes left by appends that rolled back.
 */
export function headPositionStatement(schema: string): Statement {
  return defineStatement(
    'head_position',
    `SELECT coalesce(max(position), 0) AS last FROM ${schema}.events WHERE position <= $1::int8`,
  );
}

export interface HeadPositionRow {
  readonly last: string;
}
