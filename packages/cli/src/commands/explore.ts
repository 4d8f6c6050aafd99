import { ExplorerApi } from '../explorer/explorer-api.js';
import { type RunningExplorer, startExplorer } from '../explorer/explorer-server.js';
import { isLoopback } from '../explorer/host-check.js';
import { CliError, describeError, usageError } from '../internal/cli-error.js';
import type { Command, CommandContext } from '../internal/command.js';
import { optionalAggregates } from '../internal/optional-aggregates.js';
import { stringList, stringValue, wholeNumber } from '../internal/values.js';

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
    'allow-host': {
      type: 'string',
      multiple: true,
      value: 'NAME[:PORT]',
      description:
        'also answer requests for this Host (a forwarded port, a name of this machine; repeatable)',
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
    '/api/state/<Aggregate>/<id>) until Ctrl-C. Without a config module the page shows no state.\n' +
    'Only requests naming a known host are answered (against DNS rebinding): localhost and the\n' +
    'loopback addresses on any port (so `ssh -L 8080:localhost:4600` works), the address listened\n' +
    'on, and each --allow-host (e.g. the name your editor forwards the port under).\n\n' +
    'Examples:\n' +
    '  hindsight explore\n' +
    '  hindsight explore --config ./hindsight.config.js --port 0 --json\n' +
    '  hindsight explore --allow-host my-box-4600.example.dev',
  async run(context) {
    const port = wholeNumber('--port', stringValue(context.values.port), 0) ?? defaultPort;
    if (port > 65_535) throw usageError(`--port must be at most 65535, got "${port}"`);
    const host = stringValue(context.values.host) ?? defaultHost;
    if (host === '') throw usageError('--host must not be empty');
    const allowedHosts = stringList(context.values['allow-host']) ?? [];
    for (const allowed of allowedHosts) {
      if (!/^(\[[0-9a-f:.]+\]|[\w.-]+)(:\d{1,5})?$/i.test(allowed)) {
        throw usageError(`--allow-host takes a host name with an optional port, got "${allowed}"`);
      }
    }
    const aggregates = await optionalAggregates(context, stringValue(context.values.config));
    const opened = await context.openStore();
    try {
      const explorer = await listen(
        context,
        { host, port, allowedHosts },
        new ExplorerApi(opened, aggregates),
      );
      try {
        if (context.json) await context.out.json({ url: explorer.url });
        else await context.out.line(`explorer on ${explorer.url} (store ${opened.description})`);
        await context.err.line(
          aggregates === undefined
            ? 'No config module: the explorer shows no aggregate state (give --config).'
            : `Aggregates for state: ${aggregates.map((aggregate) => aggregate.name).join(', ') || 'none'}.`,
        );
        if (!isLoopback(host)) await context.err.line(exposedWarning(host, allowedHosts));
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

async function listen(
  context: CommandContext,
  where: { host: string; port: number; allowedHosts: readonly string[] },
  api: ExplorerApi,
): Promise<RunningExplorer> {
  const { host, port } = where;
  try {
    return await startExplorer({
      ...where,
      api,
      onError: (error, request) => {
        void context.err.line(`hindsight explore: ${request} failed: ${describeError(error)}`);
      },
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const inUse = (error as { code?: unknown }).code === 'EADDRINUSE';
    throw new CliError(
      `cannot listen on ${host}:${port}: ${describeError(error)}` +
        (inUse ? ' (give another --port, or --port 0 for any free one)' : ''),
      { code: 'LISTEN_FAILED', cause: error },
    );
  }
}

/**
 * Listening beyond loopback exposes the whole store to whoever reaches the address, with no login;
 * the Host check still holds, so the names it will answer to are spelt out.
 */
function exposedWarning(host: string, allowedHosts: readonly string[]): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const names = [...(wildcard ? [] : [`${host} (this port)`]), ...allowedHosts, 'localhost'];
  return (
    `Warning: listening on ${host}, beyond this machine: anyone who can reach it reads the whole store ` +
    `(the explorer has no login). It answers requests for ${names.join(', ')} only: add the names it is ` +
    'reached by with --allow-host.'
  );
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
