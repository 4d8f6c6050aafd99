import type { AggregateDefinition } from '@hindsight/core';
import { ExplorerApi } from '../explorer/explorer-api.js';
import { type RunningExplorer, startExplorer } from '../explorer/explorer-server.js';
import { CliError, describeError, usageError } from '../internal/cli-error.js';
import type { Command, CommandContext } from '../internal/command.js';
import { stringValue, wholeNumber } from '../internal/values.js';

const defaultPort = 4600;
const defaultHost = '127.0.0.1';

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'A read-only explorer in the browser: streams, events, the global log, consumers and state',
  arguments: [],
  options: {
    port: {
      type: 'string',
      value: 'N',
      description: `port to listen on (default ${defaultPort}; 0: any free port)`,
    },
    host: {
      type: 'string',
      value: 'HOST',
      description: `address to listen on (default ${defaultHost}; the explorer has no login)`,
    },
    config: {
      type: 'string',
      short: 'c',
      value: 'MODULE',
      description:
        'a module exporting `aggregates`, for their state (default: ./hindsight.config.js or .mjs)',
    },
  },
  details:
    'Serves one page and a JSON API (/api/info, /api/streams, /api/streams/<id>/events, /api/events,\n' +
    '/api/state/<Aggregate>/<id>) until Ctrl-C. Without a config module the page shows no state.\n\n' +
    'Examples:\n' +
    '  hindsight explore\n' +
    '  hindsight explore --config ./hindsight.config.js --port 0 --json',
  async run(context) {
    const port = wholeNumber('--port', stringValue(context.values.port), 0) ?? defaultPort;
    if (port > 65_535) throw usageError(`--port must be at most 65535, got "${port}"`);
    const host = stringValue(context.values.host) ?? defaultHost;
    if (host === '') throw usageError('--host must not be empty');
    const aggregates = await optionalAggregates(context, stringValue(context.values.config));
    const opened = await context.openStore();
    try {
      const explorer = await listen(context, host, port, new ExplorerApi(opened, aggregates));
      try {
        if (context.json) await context.out.json({ url: explorer.url });
        else await context.out.line(`explorer on ${explorer.url} (store ${opened.description})`);
        await context.err.line(
          aggregates === undefined
            ? 'No config module: the explorer shows no aggregate state (give --config).'
            : `Aggregates for state: ${aggregates.map((aggregate) => aggregate.name).join(', ') || 'none'}.`,
        );
        await context.err.line('Ctrl-C stops it.');
        await aborted(context.signal);
      } finally {
        await explorer.close();
      }
    } finally {
      await opened.close();
    }
  },
};

/**
 * The config's aggregates: a `--config` given must load; without one, the default file is used
 * when there is one, and the explorer runs without state otherwise.
 */
async function optionalAggregates(
  context: CommandContext,
  configOption: string | undefined,
): Promise<readonly AggregateDefinition[] | undefined> {
  try {
    return await context.loadAggregates(configOption);
  } catch (error) {
    if (configOption === undefined && error instanceof CliError && error.code === 'CONFIG_MISSING') {
      return undefined;
    }
    throw error;
  }
}

async function listen(
  context: CommandContext,
  host: string,
  port: number,
  api: ExplorerApi,
): Promise<RunningExplorer> {
  try {
    return await startExplorer({
      host,
      port,
      api,
      onError: (error, request) => {
        void context.err.line(`hindsight explore: ${request} failed: ${describeError(error)}`);
      },
    });
  } catch (error) {
    const inUse = (error as { code?: unknown }).code === 'EADDRINUSE';
    throw new CliError(
      `cannot listen on ${host}:${port}: ${describeError(error)}` +
        (inUse ? ' (give another --port, or --port 0 for any free one)' : ''),
      { code: 'LISTEN_FAILED', cause: error },
    );
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
