import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { type Instrumentation, noopInstrumentation, traceContextOf } from './instrumentation.js';

const Note = defineStreamType('Note', { Written: z.object({ text: z.string() }) });

/** Records span names; the current span's trace context is a counter in the parent id. */
function recording() {
  const spans: string[] = [];
  let current: string | undefined;
  const instrumentation: Instrumentation = {
    ...noopInstrumentation,
    async span(name, _options, work) {
      spans.push(name);
      const outer = current;
      current = `00-${'1'.repeat(32)}-${spans.length.toString(16).padStart(16, '0')}-01`;
      try {
        return await work({ setAttributes() {}, addEvent() {} });
      } finally {
        current = outer;
      }
    },
    traceContext: () => (current === undefined ? undefined : { traceparent: current }),
  };
  return { spans, instrumentation };
}

describe('instrumentation', () => {
  it('stores no trace context without an instrumentation', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Note] });
    expect(store.instrumentation).toBe(noopInstrumentation);
    const { events } = await store.append('n1', [{ type: 'Written', data: { text: 'a' } }], {
      streamType: 'Note',
    });
    expect(events[0]?.metadata).toEqual({});
  });

  it("stores the append span's trace context in each event, unless the metadata carries one", async () => {
    const { spans, instrumentation } = recording();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Note], instrumentation });
    const first = await store.append('n1', [{ type: 'Written', data: { text: 'a' } }], {
      streamType: 'Note',
    });
    expect(spans).toEqual(['hindsight.append']);
    expect(traceContextOf(first.events[0]?.metadata ?? {})).toEqual({
      traceparent: `00-${'1'.repeat(32)}-0000000000000001-01`,
    });
    const given = { traceparent: `00-${'2'.repeat(32)}-${'3'.repeat(16)}-01`, tracestate: 'a=b' };
    const second = await store.append('n1', [{ type: 'Written', data: { text: 'b' } }], {
      streamType: 'Note',
      metadata: given,
    });
    expect(traceContextOf(second.events[0]?.metadata ?? {})).toEqual(given);
  });

  it('reads no trace context from metadata without a string traceparent', () => {
    expect(traceContextOf({ traceparent: 42 })).toBeUndefined();
    expect(traceContextOf({ traceparent: 'x', tracestate: 1 })).toEqual({ traceparent: 'x' });
  });
});
