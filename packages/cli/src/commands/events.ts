import { createEventStore, type EventStore } from '@hindsight/core';
import type { Command } from '../internal/command.js';
import { EventPrinter } from '../internal/event-table.js';
import { readingDefinitions, readingOptions } from '../internal/optional-aggregates.js';
import { stringList, stringValue, wholeNumber } from '../internal/values.js';

// Notifications wake the follower; this is only a fallback should one be lost.
const followPollMs = 1_000;

export const eventsCommand: Command = {
  name: 'events',
  summary: 'The global log in position order, filtered by type; --follow prints new events live',
  arguments: [],
  options: {
    after: { type: 'string', value: 'N', description: 'start after this global position (default 0)' },
    type: {
      type: 'string',
      multiple: true,
      value: 'T',
      description: 'only events of this type (repeatable)',
    },
    'stream-type': {
      type: 'string',
      multiple: true,
      value: 'T',
      description: 'only events of streams of this type (repeatable)',
    },
    limit: { type: 'string', value: 'N', description: 'stop after N events' },
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'keep printing new events as they commit, until Ctrl-C',
    },
    ...readingOptions,
  },
  details:
    'Examples:\n' +
    '  hindsight events --type OrderPaid --type OrderShipped\n' +
    '  hindsight events --stream-type Order --after 1200 --follow --json',
  async run(context) {
    let after = wholeNumber('--after', stringValue(context.values.after), 0) ?? 0;
    const limit = wholeNumber('--limit', stringValue(context.values.limit), 1);
    const types = stringList(context.values.type);
    const streamTypes = stringList(context.values['stream-type']);
    const follow = context.values.follow === true;
    const definitions = await readingDefinitions(context);
    const opened = await context.openStore();
    const { storage } = opened;
    // Types the definitions do not name are read as stored: the CLI reads any event type.
    const store: EventStore = createEventStore({ storage, events: definitions });
    // Live printing: each event as it comes, not in chunks of rows.
    const printer = new EventPrinter(context.out, {
      json: context.json,
      withStream: true,
      ...(follow ? { chunkSize: 1 } : {}),
    });
    const filters = {
      ...(types === undefined ? {} : { types }),
      ...(streamTypes === undefined ? {} : { streamTypes }),
    };
    let failed = false;
    let woken = false;
    let wake: (() => void) | undefined;
    const stopListening = follow
      ? storage.onAppended(() => {
          woken = true;
          wake?.();
        })
      : undefined;
    try {
      for (;;) {
        woken = false;
        // Every event up to the head read now is visible (positions become visible in order), so
        // the next pass can start there even when the filters matched none of them.
        const head = await storage.headPosition();
        for await (const event of store.readAll({ after, upTo: head, ...filters })) {
          await printer.print(event);
          after = event.position;
          if (printer.count === limit) return;
          if (context.signal.aborted) return;
        }
        after = Math.max(after, head);
        if (!follow || context.signal.aborted) return;
        await printer.flush();
        if (!woken) await waitForAppend(context.signal, (resolve) => (wake = resolve));
        wake = undefined;
        if (context.signal.aborted) return;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      stopListening?.();
      await printer.flush();
      if (printer.count === 0 && !failed) await context.err.line('No events.');
      await opened.close();
    }
  },
};

/** Resolves on the next append notification, abort, or the fallback poll, whichever comes first. */
function waitForAppend(signal: AbortSignal, register: (resolve: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, followPollMs);
    signal.addEventListener('abort', done, { once: true });
    register(done);
  });
}
