import type { PreparedEvent, StoredEvent } from '@hindsight/core';
import { CliError } from './cli-error.js';

/** An event as the CLI prints it with `--json` and as `export` writes it: one JSON object per line. */
export interface EventJson {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  readonly type: string;
  /** ISO 8601, UTC. */
  readonly timestamp: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  /**
   * Only in `export`, on the last event of a closed stream: when and why it was closed, so that
   * `import` closes it in the target too. Importers that do not know it ignore it.
   */
  readonly closed?: StreamClosing;
}

/** A closed stream's close, as `export` writes it (ISO 8601 time). */
export interface StreamClosing {
  readonly at: string;
  readonly reason?: string;
}

export function eventToJson(event: StoredEvent): EventJson {
  return {
    position: event.position,
    eventId: event.eventId,
    streamId: event.streamId,
    streamType: event.streamType,
    version: event.version,
    type: event.type,
    timestamp: event.timestamp.toISOString(),
    data: event.data,
    metadata: { ...event.metadata },
  };
}

/** One line of an import file, checked: what an append needs, plus where it goes. */
export interface ImportedEvent {
  readonly line: number;
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  readonly event: PreparedEvent;
  /** Set on the last event of a stream that was closed in the exported store. */
  readonly closed?: { readonly at: Date; readonly reason: string | undefined };
}

/** Parses and checks one line of an export file; the error names the line and the field. */
export function eventFromLine(text: string, line: number): ImportedEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`line ${line} is not JSON: ${(error as Error).message}`, {
      code: 'IMPORT_INVALID',
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`line ${line} is not an event object`, { code: 'IMPORT_INVALID' });
  }
  const record = value as Record<string, unknown>;
  const field = (field: string): string => {
    const found = record[field];
    if (typeof found !== 'string' || found === '') {
      throw new CliError(`line ${line}: "${field}" must be a non-empty string`, { code: 'IMPORT_INVALID' });
    }
    return found;
  };
  const streamId = field('streamId');
  const streamType = field('streamType');
  const eventId = field('eventId');
  const type = field('type');
  const version = record.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new CliError(`line ${line}: "version" must be a whole number ≥ 1`, { code: 'IMPORT_INVALID' });
  }
  if (!('data' in record)) throw new CliError(`line ${line}: "data" is missing`, { code: 'IMPORT_INVALID' });
  const metadata = record.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new CliError(`line ${line}: "metadata" must be an object`, { code: 'IMPORT_INVALID' });
  }
  const recordedAt = record.timestamp === undefined ? undefined : new Date(String(record.timestamp));
  if (
    recordedAt !== undefined &&
    (typeof record.timestamp !== 'string' || Number.isNaN(recordedAt.getTime()))
  ) {
    throw new CliError(`line ${line}: "timestamp" must be an ISO 8601 date-time`, { code: 'IMPORT_INVALID' });
  }
  const closed = closingOf(record.closed, line);
  return {
    line,
    streamId,
    streamType,
    version,
    ...(closed === undefined ? {} : { closed }),
    event: {
      eventId,
      type,
      data: record.data,
      metadata: metadata as PreparedEvent['metadata'],
      ...(recordedAt === undefined ? {} : { recordedAt }),
    },
  };
}

function closingOf(value: unknown, line: number): ImportedEvent['closed'] {
  if (value === undefined) return undefined;
  const { at, reason } = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const when = typeof at === 'string' ? new Date(at) : undefined;
  if (
    when === undefined ||
    Number.isNaN(when.getTime()) ||
    (reason !== undefined && typeof reason !== 'string')
  ) {
    throw new CliError(`line ${line}: "closed" must be { "at": ISO 8601 date-time, "reason"?: string }`, {
      code: 'IMPORT_INVALID',
    });
  }
  return { at: when, reason };
}

/** Splits a byte or text stream into lines, decoding UTF-8 across chunk boundaries. */
export async function* linesOf(input: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  for await (const chunk of input) {
    const lines = (
      rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    ).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) yield line.replace(/\r$/, '');
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.replace(/\r$/, '');
}
