import { createEventStore, type LoadOptions } from '@hindsight/core';
import { aggregateState, findAggregate, locateAggregate } from '../internal/aggregate-state.js';
import type { Command } from '../internal/command.js';
import { eventToJson } from '../internal/event-json.js';
import { compact, TablePrinter } from '../internal/output.js';
import { instant, stringValue, wholeNumber } from '../internal/values.js';

export const stateCommand: Command = {
  name: 'state',
  summary: "An aggregate's state now, at a version or as of an instant; --history for every step",
  arguments: ['<Aggregate>', '<id>'],
  options: {
    'at-version': { type: 'string', value: 'N', description: 'the state right after version N' },
    'as-of': {
      type: 'string',
      value: 'ISO',
      description: 'the state from events recorded at or before this instant',
    },
    history: { type: 'boolean', description: 'every event with the state right after it' },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description: 'a module exporting `aggregates` (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'The config module is plain JavaScript (ESM), e.g. hindsight.config.js:\n' +
    "  import { Order } from './dist/order.js';\n" +
    '  export const aggregates = [Order];\n\n' +
    'Examples:\n' +
    '  hindsight state Order o-1 --at-version 2\n' +
    '  hindsight state Order o-1 --as-of 2026-01-31T12:00:00Z --config ./hindsight.config.js\n' +
    '  hindsight state Order o-1 --history --json',
  async run(context) {
    const [name = '', id = ''] = context.positionals;
    const atVersion = wholeNumber('--at-version', stringValue(context.values['at-version']), 0);
    const asOf = instant('--as-of', stringValue(context.values['as-of']));
    const aggregates = await context.loadAggregates(stringValue(context.values.config));
    // An unknown aggregate name fails before the store is opened.
    findAggregate(aggregates, name);
    const opened = await context.openStore();
    const store = createEventStore({ storage: opened.storage, events: aggregates });
    try {
      const located = await locateAggregate(store, aggregates, {
        name,
        id,
        atVersion: atVersion === undefined ? undefined : { name: '--at-version', value: atVersion },
      });
      const options: LoadOptions = {
        ...(atVersion === undefined ? {} : { atVersion }),
        ...(asOf === undefined ? {} : { asOf }),
      };
      if (context.values.history === true) {
        const table = new TablePrinter(
          context.out,
          ['VERSION', 'POSITION', 'TIME', 'TYPE', 'STATE'],
          ['right', 'right', 'left', 'left', 'left'],
        );
        for await (const { event, state } of located.repository.history(id, options)) {
          if (context.json) await context.out.json({ event: eventToJson(event), state });
          else {
            await table.row([
              String(event.version),
              String(event.position),
              event.timestamp.toISOString(),
              event.type,
              compact(state),
            ]);
          }
        }
        await table.flush();
        return;
      }
      const folded = await aggregateState(located, options);
      if (context.json) {
        await context.out.json(folded);
        return;
      }
      const when = folded.asOf === undefined ? '' : `, as of ${folded.asOf}`;
      await context.out.line(
        `${name} ${id} (stream ${folded.streamId}) at version ${folded.version} of ${folded.latestVersion}${when}`,
      );
      await context.out.line(JSON.stringify(folded.state, null, 2));
    } finally {
      await opened.close();
    }
  },
};
