// Type-level tests: checked by `tsc -p tsconfig.json`, never executed. Each `@ts-expect-error`
// fails the type-check if the line below it stops being an error.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createSubscription } from './create-subscription.js';

const Account = defineStreamType('Account', {
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ cents: z.number() }),
  Withdrawn: z.object({ cents: z.number() }),
});
const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });

describe('createSubscription types', () => {
  it('types the handler for the subscribed event types alone', () => {
    createSubscription(store, {
      name: 'movements',
      types: ['Deposited', 'Withdrawn'],
      handle: (event) => {
        expectTypeOf(event.type).toEqualTypeOf<'Deposited' | 'Withdrawn'>();
        expectTypeOf(event.data).toEqualTypeOf<{ cents: number }>();
      },
    });
  });

  it('types it for every event type without a filter', () => {
    createSubscription(store, {
      name: 'all',
      handle: (event) => {
        expectTypeOf(event.type).toEqualTypeOf<'Opened' | 'Deposited' | 'Withdrawn'>();
      },
    });
  });

  it('refuses a type the store does not know', () => {
    createSubscription(store, {
      name: 'typo',
      // @ts-expect-error: no such event type
      types: ['Deposit'],
      handle: () => {},
    });
  });
});
