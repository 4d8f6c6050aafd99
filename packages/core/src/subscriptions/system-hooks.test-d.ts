// Type-level tests: checked by `tsc -p tsconfig.json`, never executed. Each `@ts-expect-error`
// fails the type-check if the line below it stops being an error.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { defineListener } from '../listeners/define-listener.js';
import type { InMemoryTransaction } from '../memory/in-memory-transaction.js';
import type { SubjectForgottenData } from '../personal/forget-subject.js';
import { defineProcess } from '../processes/define-process.js';
import { defineProjection } from '../projections/define-projection.js';
import type { StreamDeletedData } from '../streams/stream-lifecycle.js';

const Account = defineStreamType('Account', {
  Opened: z.object({ owner: z.string() }),
});

describe('onStreamDeleted and onForget types', () => {
  it('give a projection the deletion, the forget and its transaction', () => {
    defineProjection('accounts', { from: [Account] })
      .withTransaction<InMemoryTransaction>()
      .onStreamDeleted((deletion, context) => {
        expectTypeOf(deletion.streamId).toEqualTypeOf<string>();
        expectTypeOf(deletion.streamType).toEqualTypeOf<string>();
        expectTypeOf(deletion.deletedVersion).toEqualTypeOf<number>();
        expectTypeOf(deletion.reason).toEqualTypeOf<string | undefined>();
        expectTypeOf(deletion.event).toEqualTypeOf<StoredEvent<'$StreamDeleted', StreamDeletedData>>();
        expectTypeOf(context.transaction).toEqualTypeOf<InMemoryTransaction>();
        expectTypeOf(context.version).toEqualTypeOf<number>();
      })
      .onForget(({ subjectId, streamIds, event }, { transaction }) => {
        expectTypeOf(subjectId).toEqualTypeOf<string>();
        expectTypeOf(streamIds).toEqualTypeOf<readonly string[]>();
        expectTypeOf(event).toEqualTypeOf<StoredEvent<'$SubjectForgotten', SubjectForgottenData>>();
        expectTypeOf(transaction).toEqualTypeOf<InMemoryTransaction>();
      });
  });

  it('give a listener the deletion and the forget with its attempt', () => {
    defineListener('crm', { from: [Account] })
      .onStreamDeleted((deletion, { attempt }) => {
        expectTypeOf(deletion.deletedVersion).toEqualTypeOf<number>();
        expectTypeOf(attempt).toEqualTypeOf<number>();
      })
      .onForget(async (forgotten) => {
        expectTypeOf(forgotten.subjectId).toEqualTypeOf<string>();
      });
  });

  it('give a process step the deletion, keyed like any step', () => {
    defineProcess('closing', {
      from: [Account],
      to: [],
      initialState: () => ({ open: true }),
    }).onStreamDeleted({
      key: (deletion) => {
        expectTypeOf(deletion.streamId).toEqualTypeOf<string>();
        return deletion.streamId;
      },
      handle: (state, deletion, context) => {
        expectTypeOf(state).toEqualTypeOf<{ open: boolean }>();
        expectTypeOf(deletion.reason).toEqualTypeOf<string | undefined>();
        context.complete();
        return { open: false };
      },
    });
  });

  it('keep system types out of ordinary handlers', () => {
    // @ts-expect-error: `$StreamDeleted` is not an event type of the catalogs; use onStreamDeleted
    defineProjection('accounts', { from: [Account] }).on('$StreamDeleted', () => {});
    // @ts-expect-error: `$SubjectForgotten` neither; use onForget
    defineListener('crm', { from: [Account] }).on('$SubjectForgotten', () => {});
  });
});
