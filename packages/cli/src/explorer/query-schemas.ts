import { z } from 'zod';

/**
 * The query strings of the explorer's API routes, as zod schemas that Hono's validator runs:
 * a misspelt or repeated parameter is refused rather than silently ignored, and an empty value
 * counts as absent, as an empty field of a form does. Messages name the parameter the way the
 * request spelt it, so a client can show them as they are.
 */

/** What Hono's query validator hands over: one string, or several for a repeated name. */
type RawValue = string | string[] | undefined;

const raw = z.union([z.string(), z.array(z.string())]).optional();

/** One value: refused when repeated, undefined when empty. */
function single(name: string) {
  return raw.transform((value: RawValue, context) => {
    if (Array.isArray(value)) {
      context.addIssue({ code: 'custom', message: `${name} is given more than once` });
      return z.NEVER;
    }
    return value === '' ? undefined : value;
  });
}

/** Every non-empty value of a repeatable name (`type=A&type=B`). */
function list() {
  return raw.transform((value: RawValue) => {
    const values = (Array.isArray(value) ? value : [value]).filter(
      (item): item is string => item !== undefined && item !== '',
    );
    return values.length === 0 ? undefined : values;
  });
}

function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return single(name).transform((value, context) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
      context.addIssue({
        code: 'custom',
        message: `${name} must be a whole number ≥ ${min}, got "${value}"`,
      });
      return z.NEVER;
    }
    if (Number(value) > max) {
      context.addIssue({ code: 'custom', message: `${name} must be at most ${max}, got "${value}"` });
      return z.NEVER;
    }
    return Number(value);
  });
}

function instant(name: string) {
  return single(name).transform((value, context) => {
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
      context.addIssue({
        code: 'custom',
        message: `${name} must be an ISO 8601 instant such as 2026-01-31T12:00:00Z or 2026-01-31, got "${value}"`,
      });
      return z.NEVER;
    }
    return date;
  });
}

/** A page size: `fallback` when absent, refused above `max` so one request stays small. */
function limit(fallback: number, max: number) {
  return wholeNumber('limit', 1, max).transform((value) => value ?? fallback);
}

/** An object of these parameters and no others. */
function parameters<Shape extends z.ZodRawShape>(shape: Shape) {
  const names = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter "${issue.keys[0]}" (this route takes: ${names.length === 0 ? 'none' : names.join(', ')})`
        : undefined,
  });
}

export const infoQuery = parameters({});

export const streamsQuery = parameters({
  type: single('type'),
  prefix: single('prefix'),
  after: single('after'),
  limit: limit(50, 500),
});

const streamEventsShape = {
  fromVersion: wholeNumber('fromVersion', 1),
  toVersion: wholeNumber('toVersion', 0),
  until: instant('until'),
  limit: limit(100, 1000),
};

export const streamEventsQuery = parameters(streamEventsShape);

/** The same with the stream id in the query (ids such as `.` and `..` cannot travel in a path). */
export const streamEventsByIdQuery = parameters({ streamId: single('streamId'), ...streamEventsShape });

export const logQuery = parameters({
  after: wholeNumber('after', 0),
  limit: limit(50, 500),
  type: list(),
  streamType: list(),
});

export const stateQuery = parameters({
  atVersion: wholeNumber('atVersion', 0),
  asOf: instant('asOf'),
});

export type StreamsQuery = z.output<typeof streamsQuery>;
export type StreamEventsQuery = z.output<typeof streamEventsQuery>;
export type LogQuery = z.output<typeof logQuery>;
export type StateQuery = z.output<typeof stateQuery>;
