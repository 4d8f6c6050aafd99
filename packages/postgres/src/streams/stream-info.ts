import { defineStatement, type Statement } from '../internal/statement.js';

/** One stream's type and version. $1 stream id. */
export function streamInfoStatement(schema: string): Statement {
  return defineStatement(
    'stream_info',
    `SELECT stream_type, version FROM ${schema}.streams WHERE stream_id = $1::text`,
  );
}

export interface StreamInfoRow {
  readonly stream_type: string;
  readonly version: string;
}
