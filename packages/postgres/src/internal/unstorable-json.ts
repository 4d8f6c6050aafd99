import { type AppendRequest, PayloadNotSerializableError } from '@hindsight/core';

// jsonb refuses these (SQLSTATE 22P05, 22P02) although they are valid JavaScript strings.
const nul = '\u0000';
const loneSurrogate = /\p{Cs}/u;

/**
 * Explains a JSON refusal of the database as core's `PayloadNotSerializableError`, naming the
 * event and the path of the string jsonb cannot hold (U+0000, a lone surrogate). Undefined when
 * `error` is not such a refusal or no event explains it. Only runs after a failure, so appends
 * do not pay for the scan.
 */
export function unstorableJsonError(
  request: AppendRequest,
  error: unknown,
): PayloadNotSerializableError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== '22P05' && code !== '22P02') return undefined;
  for (const event of request.events) {
    const found = findUnstorableString(event.data, []) ?? findUnstorableString(event.metadata, ['metadata']);
    if (found !== undefined) {
      return new PayloadNotSerializableError({
        streamId: request.streamId,
        eventType: event.type,
        path: found.path.join('.'),
        problem: `${found.problem}, which PostgreSQL jsonb cannot store`,
      });
    }
  }
  return undefined;
}

function findUnstorableString(
  value: unknown,
  path: readonly string[],
): { path: readonly string[]; problem: string } | undefined {
  if (typeof value === 'string') return problemOf(value, path);
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const inKey = problemOf(key, [...path, key]);
    if (inKey !== undefined) return { ...inKey, problem: `its key ${inKey.problem.replace('it ', '')}` };
    const inValue = findUnstorableString(item, [...path, key]);
    if (inValue !== undefined) return inValue;
  }
  return undefined;
}

function problemOf(
  text: string,
  path: readonly string[],
): { path: readonly string[]; problem: string } | undefined {
  if (text.includes(nul)) return { path, problem: 'it contains U+0000' };
  if (loneSurrogate.test(text)) return { path, problem: 'it contains a lone surrogate' };
  return undefined;
}
