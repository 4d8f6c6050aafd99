import { describe, expect, it } from 'vitest';
import { appendStatements } from '../streams/append.js';
import { quoteIdentifier } from './identifiers.js';
import { defineStatement } from './statement.js';

describe('statement names', () => {
  it('are stable for one text and differ between schemas, within the 63-byte identifier limit', () => {
    const first = appendStatements(quoteIdentifier('hindsight')).events;
    expect(appendStatements(quoteIdentifier('hindsight')).events).toEqual(first);
    expect(appendStatements(quoteIdentifier('other')).events.name).not.toBe(first.name);
    expect(first.name).toMatch(/^hindsight_append_[0-9a-f]{8}$/);
    expect(appendStatements(quoteIdentifier('hindsight')).oneEvent.bump.name).toMatch(
      /^hindsight_append_one_bump_[0-9a-f]{8}$/,
    );
    expect(defineStatement('list_documents_up_to', 'SELECT 1').name.length).toBeLessThanOrEqual(63);
  });
});
