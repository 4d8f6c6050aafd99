import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../schema/migrate.js';
import { pageSql } from './read-all.js';

describe('global log pages', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    migrate(db);
  });
  afterEach(() => db.close());

  const parameters = {
    after: 0,
    upTo: 100,
    limit: 10,
    v0: 'A',
    v1: 'B',
    v2: 'C',
    values: '[]',
    streamTypes: '[]',
  };
  const plan = (sql: string) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(parameters) as { detail: string }[]).map(
      (row) => row.detail,
    );

  it('walks the table in position order without sorting when unfiltered', () => {
    const steps = plan(pageSql(undefined, 0, false));
    expect(steps.join('\n')).toMatch(
      /SEARCH hindsight_events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/,
    );
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it.each([
    ['type', false, 'hindsight_events_type'],
    ['type', true, 'hindsight_events_type'],
    ['stream_type', false, 'hindsight_events_stream_type'],
  ] as const)(
    'merges one index range per %s (with stream types: %s) instead of sorting',
    (column, also, index) => {
      const steps = plan(pageSql(column, 3, also));
      expect(steps).toContain('MERGE (UNION ALL)');
      expect(
        steps.filter((step) =>
          step.includes(`USING INDEX ${index} (${column}=? AND position>? AND position<?)`),
        ),
      ).toHaveLength(3);
      expect(steps.join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    },
  );

  it('falls back to one indexed IN list for very many values', () => {
    const steps = plan(pageSql('type', 'in', false));
    expect(steps.join('\n')).toMatch(
      /USING INDEX hindsight_events_type \(type=\? AND position>\? AND position<\?\)/,
    );
  });
});
