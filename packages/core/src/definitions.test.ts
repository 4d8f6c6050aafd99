import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from './aggregates/define-aggregate.js';
import { InvalidArgumentError } from './errors/hindsight-error.js';
import { defineListener } from './listeners/define-listener.js';
import { defineProcess } from './processes/define-process.js';
import { defineProjection } from './projections/define-projection.js';

const Counter = defineAggregate('Counter')
  .events({ Incremented: z.object({ by: z.number() }) })
  .initialState(() => ({ total: 0 }))
  .evolve({ Incremented: (state, { data }) => ({ total: state.total + data.by }) })
  .commands({});

function refusal(define: () => unknown): InvalidArgumentError {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

describe('definitions', () => {
  it.each([
    ['aggregate', () => defineAggregate('')],
    ['listener', () => defineListener('', { from: [Counter] })],
    ['projection', () => defineProjection('', { from: [Counter] })],
    ['process', () => defineProcess('', { from: [Counter], to: [], initialState: () => ({}) })],
  ])('refuse an empty %s name', (kind, define) => {
    const error = refusal(define);
    expect(error.argument).toBe(`${kind} name`);
    expect(error.message).toBe(`Invalid ${kind} name "": must be a non-empty string`);
  });

  it('refuse a handler declared twice for one event type', () => {
    const noop = () => undefined;
    const cases: [string, () => unknown][] = [
      [
        'handler of listener "mailer"',
        () =>
          defineListener('mailer', { from: [Counter] })
            .on('Incremented', noop)
            .on('Incremented', noop),
      ],
      [
        'handler of projection "totals"',
        () =>
          defineProjection('totals', { from: [Counter] })
            .on('Incremented', noop)
            .on('Incremented', noop),
      ],
      [
        'step of process "flow"',
        () => {
          const step = { key: () => 'k', handle: (state: object) => state };
          return defineProcess('flow', { from: [Counter], to: [], initialState: () => ({}) })
            .on('Incremented', step)
            .on('Incremented', step);
        },
      ],
    ];
    for (const [argument, define] of cases) {
      const error = refusal(define);
      expect(error.argument).toBe(argument);
      expect(error.message).toBe(`Invalid ${argument} "Incremented": is declared twice`);
    }
  });
});
