import { InvalidArgumentError } from '@hindsight/core';

// The notification channel is the schema name plus this suffix, and channel names are identifiers
// (at most 63 bytes).
const channelSuffix = '.appended';
const maxSchemaBytes = 63 - channelSuffix.length;

/** Quotes an identifier for SQL text: any name is safe, it is never interpreted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Refuses schema names PostgreSQL would truncate or reject, so the name used is the name given. */
export function checkSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || schema.length === 0) {
    throw new InvalidArgumentError({
      argument: 'schema',
      value: schema,
      problem: 'must be a non-empty string',
    });
  }
  if (schema.includes('\u0000')) {
    throw new InvalidArgumentError({
      argument: 'schema',
      value: schema,
      problem: 'contains a NUL character',
    });
  }
  if (new TextEncoder().encode(schema).length > maxSchemaBytes) {
    throw new InvalidArgumentError({
      argument: 'schema',
      value: schema,
      problem: `longer than ${maxSchemaBytes} bytes`,
    });
  }
}

/** The LISTEN/NOTIFY channel on which appends to `schema` announce the new head position. */
export function appendedChannel(schema: string): string {
  return `${schema}${channelSuffix}`;
}
