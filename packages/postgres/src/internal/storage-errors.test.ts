import { isHindsightError } from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { isUnavailable, isUniqueViolation, toStorageError } from './storage-errors.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('storage errors', () => {
  it.each([
    ['a refused socket', withCode('ECONNREFUSED')],
    ['a reset socket', withCode('ECONNRESET')],
    ['an unknown host', withCode('ENOTFOUND')],
    ['SQLSTATE class 08', withCode('08006')],
    ['a server shutting down', withCode('57P01')],
    ['too many connections', withCode('53300')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['every address refused', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('maps %s to a retryable STORAGE_UNAVAILABLE', (_label, error) => {
    expect(isUnavailable(error)).toBe(true);
    const mapped = toStorageError(error);
    expect(isHindsightError(mapped, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect(mapped).toMatchObject({ retryable: true, cause: error });
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('passes %s through unchanged', (_label, error) => {
    expect(isUnavailable(error)).toBe(false);
    expect(toStorageError(error)).toBe(error);
  });

  it('recognises unique violations by SQLSTATE', () => {
    expect(isUniqueViolation(withCode('23505'))).toBe(true);
    expect(isUniqueViolation(withCode('23503'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
