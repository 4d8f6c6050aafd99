// Type-level tests: checked by `tsc -p tsconfig.json`, never executed. Each `@ts-expect-error`
// fails the type-check if the line below it stops being an error.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { defineStreamType, type NewEventOf, type StoredEventOf } from './event-catalog.js';
import { type EvolvingSchema, evolving } from './evolving-schema.js';
import type { SchemaOutput } from './standard-schema.js';

const Deposited = evolving(z.object({ amount: z.number() }))
  .to(2, z.object({ amountCents: z.number(), currency: z.string() }), (v1) => {
    expectTypeOf(v1).toEqualTypeOf<{ amount: number }>();
    return { amountCents: v1.amount * 100, currency: 'EUR' };
  })
  .to(3, z.object({ cents: z.number(), currency: z.string(), note: z.string().optional() }), (v2) => {
    expectTypeOf(v2).toEqualTypeOf<{ amountCents: number; currency: string }>();
    return { cents: v2.amountCents, currency: v2.currency };
  });

const Account = defineAggregate('Account')
  .events(
    { Deposited, Opened: z.object({ owner: z.string() }) },
    {
      retired: {
        Credited: 'Deposited',
        OpenedWithDeposit: (data: { owner: string; cents: number }) => [
          { type: 'Opened', data: { owner: data.owner } },
          { type: 'Deposited', data: { cents: data.cents, currency: 'EUR' } },
        ],
      },
    },
  )
  .initialState(() => ({ cents: 0 }))
  .evolve({
    Deposited: (state, { data }) => {
      expectTypeOf(data).toEqualTypeOf<{ cents: number; currency: string; note?: string | undefined }>();
      return { cents: state.cents + data.cents };
    },
    Opened: (state) => state,
  })
  .commands({
    deposit: (_state, input: { cents: number }) => ({
      type: 'Deposited',
      data: { ...input, currency: 'EUR' },
    }),
  });

describe('evolving schemas', () => {
  it('types handlers, reads and writes with the current version only', async () => {
    expectTypeOf<SchemaOutput<typeof Deposited>>().toEqualTypeOf<{
      cents: number;
      currency: string;
      note?: string | undefined;
    }>();
    expectTypeOf(Deposited).toExtend<EvolvingSchema>();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });
    for await (const event of store.readAll({ types: ['Deposited'] })) {
      expectTypeOf(event.data.cents).toEqualTypeOf<number>();
    }
    type Written = Extract<NewEventOf<typeof Account.schemas>, { type: 'Deposited' }>['data'];
    expectTypeOf<Written>().toEqualTypeOf<{ cents: number; currency: string; note?: string | undefined }>();
    // A retired name is never a type one reads or writes.
    expectTypeOf<StoredEventOf<typeof Account.schemas>['type']>().toEqualTypeOf<'Deposited' | 'Opened'>();
  });

  it('checks upcasters and retired types against the schemas', () => {
    evolving(z.object({ amount: z.number() }))
      // @ts-expect-error the upcaster must return the next version's shape
      .to(2, z.object({ cents: z.number() }), (v1) => ({ amount: v1.amount }));
    defineStreamType(
      'S',
      { A: z.object({ n: z.number() }) },
      {
        // @ts-expect-error a rename must name a current type
        retired: { Old: 'B' },
      },
    );
    defineStreamType(
      'S',
      { A: z.object({ n: z.number() }) },
      {
        // @ts-expect-error a split must return current events in their current shape
        retired: { Old: () => [{ type: 'A', data: { n: 'one' } }] },
      },
    );
  });
});
