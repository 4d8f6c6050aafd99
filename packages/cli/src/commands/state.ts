import { createEventStore, type LoadOptions } from '@hindsight/core';
import {
  aggregateState,
  findAggregate,
  type LocatedAggregate,
  locateAggregate,
} from '../internal/aggregate-state.js';
import { CliError, usageError } from '../internal/cli-error.js';
import type { Command, CommandContext } from '../internal/command.js';
import { eventToJson } from '../internal/event-json.js';
import { compact, TablePrinter } from '../internal/output.js';
import { checkRange, instant, stringValue, wholeNumber } from '../internal/values.js';

// Bounded by default: every step prints the whole state, so a long stream's history is huge.
const defaultHistoryLimit = 100;

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
    'from-version': {
      type: 'string',
      value: 'N',
      description: 'with --history: the first step shown (the state is still folded from version 1)',
    },
    'to-version': { type: 'string', value: 'N', description: 'with --history: the last step shown' },
    limit: {
      type: 'string',
      value: 'N',
      description: `with --history: at most N steps (default ${defaultHistoryLimit})`,
    },
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
    '  hindsight state Order o-1 --history --from-version 100 --limit 20 --json',
  async run(context) {
    const [name = '', id = ''] = context.positionals;
    const atVersion = wholeNumber('--at-version', stringValue(context.values['at-version']), 0);
    const asOf = instant('--as-of', stringValue(context.values['as-of']));
    const range = historyRange(context.values);
    const aggregates = await context.loadAggregates(stringValue(context.values.config));
    // An unknown aggregate name fails before the store is opened.
    findAggregate(aggregates, name);
    const opened = await context.openStore();
    const store = createEventStore({ storage: opened.storage, events: aggregates });
    try {
      const located = await locateAggregate(store, aggregates, {
        name,
        id,
        atVersion:
          range?.toVersion !== undefined
            ? { name: '--to-version', value: range.toVersion }
            : atVersion === undefined
              ? undefined
              : { name: '--at-version', value: atVersion },
      });
      if (range !== undefined && range.fromVersion > located.latestVersion) {
        throw new CliError(
          `${name} ${id} is at version ${located.latestVersion}: --from-version ${range.fromVersion} is beyond it`,
          { code: 'VERSION_OUT_OF_RANGE' },
        );
      }
      const upTo = range?.toVersion ?? atVersion;
      const options: LoadOptions = {
        ...(upTo === undefined ? {} : { atVersion: upTo }),
        ...(asOf === undefined ? {} : { asOf }),
      };
      if (range !== undefined) {
        await printHistory(context, located.repository, id, options, range);
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

/** Which steps `--history` prints. */
interface HistoryRange {
  readonly fromVersion: number;
  readonly toVersion: number | undefined;
  readonly limit: number;
}

type Values = CommandContext['values'];

/** The `--history` options, checked; undefined without `--history` (they are refused then). */
function historyRange(values: Values): HistoryRange | undefined {
  const fromVersion = wholeNumber('--from-version', stringValue(values['from-version']), 1);
  const toVersion = wholeNumber('--to-version', stringValue(values['to-version']), 1);
  const limit = wholeNumber('--limit', stringValue(values.limit), 1);
  if (values.history !== true) {
    const given = ['from-version', 'to-version', 'limit'].find((name) => values[name] !== undefined);
    if (given !== undefined) throw usageError(`--${given} applies to --history only`);
    return undefined;
  }
  if (toVersion !== undefined && values['at-version'] !== undefined) {
    throw usageError('--to-version and --at-version both end the history: give one of them');
  }
  checkRange({ name: '--from-version', value: fromVersion }, { name: '--to-version', value: toVersion });
  return { fromVersion: fromVersion ?? 1, toVersion, limit: limit ?? defaultHistoryLimit };
}

/**
 * Prints the steps in the range as they are folded, one at a time: memory and output stay bounded
 * by the range and the limit, however long the stream. Steps before the range are folded, not shown.
 */
async function printHistory(
  context: CommandContext,
  repository: LocatedAggregate['repository'],
  id: string,
  options: LoadOptions,
  range: HistoryRange,
): Promise<void> {
  const table = new TablePrinter(
    context.out,
    ['VERSION', 'POSITION', 'TIME', 'TYPE', 'STATE'],
    ['right', 'right', 'left', 'left', 'left'],
    1,
  );
  let shown = 0;
  let more: number | undefined;
  for await (const { event, state } of repository.history(id, options)) {
    if (event.version < range.fromVersion) continue;
    if (shown === range.limit) {
      more = event.version;
      break;
    }
    shown += 1;
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
    if (context.signal.aborted) return;
  }
  await table.flush();
  if (shown === 0) {
    await context.err.line(`No steps in that range: version ${range.fromVersion} and on.`);
  } else if (more !== undefined) {
    await context.err.line(
      `Stopped after ${shown} steps (--limit ${range.limit}); more from version ${more}: ` +
        `give --from-version ${more} or a larger --limit.`,
    );
  }
}
