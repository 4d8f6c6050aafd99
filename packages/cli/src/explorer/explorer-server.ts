import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Context, Hono } from 'hono';
import { validator } from 'hono/validator';
import type { z } from 'zod';
import {
  CliError,
  type CliErrorCode,
  describeError,
  hindsightCode,
  usageError,
} from '../internal/cli-error.js';
import type { ExplorerApi } from './explorer-api.js';
import { renderExplorerPage } from './explorer-page.js';
import { type HostCheck, hostCheck } from './host-check.js';
import {
  infoQuery,
  logQuery,
  stateQuery,
  streamEventsByIdQuery,
  streamEventsQuery,
  streamsQuery,
} from './query-schemas.js';

/** Options of {@link startExplorer}. */
export interface ExplorerServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly api: ExplorerApi;
  /**
   * More names the Host header may carry (`name` on any port, `name:port` on that one): a
   * forwarded port (`ssh -L 8080:localhost:4600`, an editor's port forwarding) or a name of the
   * machine when listening beyond loopback.
   */
  readonly allowedHosts?: readonly string[];
  /** Hears about requests that failed through no fault of the request (answered with HTTP 5xx). */
  readonly onError?: (error: unknown, request: string) => void;
}

/** A listening explorer. */
export interface RunningExplorer {
  /** Where a browser opens it, e.g. `http://127.0.0.1:4600`. */
  readonly url: string;
  /** Stops accepting requests, lets those under way finish, then drops every connection. */
  close(): Promise<void>;
}

/**
 * The compiled page script (`page/explorer-script.ts`, built by `tsc -b` into the package's
 * dist). The same path from `src/explorer/` and from `dist/explorer/`, so running from source
 * (tests) serves the build too; the test set-up builds it first.
 */
export const explorerScriptFile = fileURLToPath(
  new URL('../../dist/explorer/page/explorer-script.js', import.meta.url),
);

const statusByCode: Readonly<Record<CliErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  UNKNOWN_COMMAND: 400,
  UNKNOWN_OPTION: 400,
  MISSING_ARGUMENT: 400,
  IMPORT_INVALID: 400,
  VERSION_OUT_OF_RANGE: 400,
  HOST_NOT_ALLOWED: 403,
  CONFIG_MISSING: 404,
  UNKNOWN_AGGREGATE: 404,
  UNKNOWN_PROJECTION: 404,
  UNKNOWN_LISTENER: 404,
  STREAM_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  STORE_NOT_FOUND: 500,
  STORE_NOT_MIGRATED: 500,
  CONFIG_INVALID: 500,
  IMPORT_FAILED: 500,
  LISTEN_FAILED: 500,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  INTERRUPTED: 503,
  // Only `hindsight check` fails with it; the explorer never does.
  CHECK_FAILED: 422,
};

const commonHeaders: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The explorer as a Hono app: the page at `/`, its script at `/explorer.js`, the JSON API under
 * `/api/`; GET and HEAD only, and only for requests whose Host header `allowHost` accepts.
 *
 * @example
 * ```ts
 * const app = createExplorerApp(new ExplorerApi(opened, aggregates), hostCheck('127.0.0.1', 4600, []));
 * const response = await app.request('/api/info', { headers: { host: '127.0.0.1:4600' } });
 * ```
 */
export function createExplorerApp(
  api: ExplorerApi,
  allowHost: HostCheck,
  onError?: ExplorerServerOptions['onError'],
): Hono {
  const page = renderExplorerPage();
  const app = new Hono();

  const fail = (error: unknown, c: Context): Response => {
    const { status, code } = classify(error);
    if (status >= 500) onError?.(error, `${c.req.method} ${rawPath(c)}`);
    return sendJson(
      c,
      status,
      { error: { code, message: describeError(error) } },
      { ...commonHeaders, ...(status === 405 ? { allow: 'GET, HEAD' } : {}) },
    );
  };
  app.onError(fail);
  app.notFound((c) => {
    const path = rawPath(c);
    return fail(
      path.startsWith('/api/')
        ? new CliError(`no API route ${path}`, { code: 'ROUTE_NOT_FOUND' })
        : new CliError(`nothing at ${path}: the page is at /, the API under /api/`, {
            code: 'ROUTE_NOT_FOUND',
          }),
      c,
    );
  });

  app.use('*', async (c, next) => {
    const host = c.req.header('host');
    if (!allowHost(host)) {
      throw new CliError(
        `the explorer does not answer for host "${host ?? ''}" (start it with --allow-host to add one)`,
        { code: 'HOST_NOT_ALLOWED' },
      );
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new CliError(`the explorer is read-only: ${c.req.method} is not allowed`, {
        code: 'METHOD_NOT_ALLOWED',
      });
    }
    // Each segment must decode on its own: Hono leaves a malformed escape as it is.
    for (const segment of rawPath(c).split('/')) {
      try {
        decodeURIComponent(segment);
      } catch (error) {
        throw usageError(
          `the path ${rawPath(c)} is not valid percent-encoded UTF-8: ${describeError(error)}`,
        );
      }
    }
    await next();
    for (const [name, value] of Object.entries(commonHeaders)) c.header(name, value);
  });

  app.get('/', (c) => c.html(page.html, 200, { 'content-security-policy': page.contentSecurityPolicy }));
  app.get('/explorer.js', serveStatic({ path: explorerScriptFile }));

  app.get('/api/info', query(infoQuery), async (c) => sendJson(c, 200, await api.info()));
  app.get('/api/consumers', query(infoQuery), async (c) => sendJson(c, 200, await api.consumers()));
  app.get('/api/dead-letters/:listener', query(infoQuery), async (c) =>
    sendJson(c, 200, await api.deadLetters(c.req.param('listener'))),
  );
  app.get('/api/streams', query(streamsQuery), async (c) =>
    sendJson(c, 200, await api.streams(c.req.valid('query'))),
  );
  app.get('/api/streams/:streamId/events', query(streamEventsQuery), async (c) =>
    sendJson(c, 200, await api.streamEvents(c.req.param('streamId'), c.req.valid('query'))),
  );
  // The same with the id in the query: browsers and fetch resolve `.` and `..` path segments
  // (even percent-encoded) before sending, so those ids can only travel this way.
  app.get('/api/stream-events', query(streamEventsByIdQuery), async (c) => {
    const { streamId = '', ...rest } = c.req.valid('query');
    return sendJson(c, 200, await api.streamEvents(streamId, rest));
  });
  app.get('/api/events', query(logQuery), async (c) => sendJson(c, 200, await api.log(c.req.valid('query'))));
  app.get('/api/state/:aggregate/:id', query(stateQuery), async (c) =>
    sendJson(c, 200, await api.state(c.req.param('aggregate'), c.req.param('id'), c.req.valid('query'))),
  );
  return app;
}

/**
 * Serves {@link createExplorerApp} on Node's HTTP server until {@link RunningExplorer.close}.
 * Rejects with the listen error (e.g. `EADDRINUSE`), or when the page script was never built.
 *
 * @example
 * ```ts
 * const explorer = await startExplorer({ host: '127.0.0.1', port: 0, api });
 * console.log(explorer.url);
 * await explorer.close();
 * ```
 */
export async function startExplorer(options: ExplorerServerOptions): Promise<RunningExplorer> {
  if (!existsSync(explorerScriptFile)) {
    throw new CliError(
      `the explorer's page script is missing at ${explorerScriptFile}: run \`npm run build\``,
      {
        code: 'INTERNAL_ERROR',
      },
    );
  }
  // The port is known once listening; until then no request is answered.
  let allowHost: HostCheck = () => false;
  const app = createExplorerApp(options.api, (host) => allowHost(host), options.onError);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Failures after listening (a refused accept) must not crash the command: they are reported.
  server.on('error', (error) => options.onError?.(error, 'server'));
  const { port } = server.address() as AddressInfo;
  allowHost = hostCheck(options.host, port, options.allowedHosts ?? []);
  return {
    // Any address means loopback too, the one a browser on this machine opens.
    url: `http://${urlHost(isWildcard(options.host) ? '127.0.0.1' : options.host)}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}

/** Hono's query validator running one of our schemas, its first problem as a 400. */
function query<Schema extends z.ZodType>(schema: Schema) {
  return validator('query', (value): z.output<Schema> => {
    const result = schema.safeParse(value);
    if (!result.success) throw usageError(result.error.issues[0]?.message ?? 'invalid query');
    return result.data;
  });
}

/** The path as the request spelt it (Hono's `c.req.path` is partly decoded). */
function rawPath(c: Context): string {
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  return start === -1 ? '/' : url.slice(start, end === -1 ? undefined : end);
}

/** Statuses of the Hindsight errors a request can cause; any other is the server's failure. */
const statusByHindsightCode: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_STREAM_ID: 400,
  NOT_SUPPORTED: 501,
  STORAGE_UNAVAILABLE: 503,
};

function classify(error: unknown): { status: number; code: string } {
  if (error instanceof CliError) return { status: statusByCode[error.code], code: error.code };
  const code = hindsightCode(error);
  return {
    status: (code === undefined ? undefined : statusByHindsightCode[code]) ?? 500,
    code: code ?? 'INTERNAL_ERROR',
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sendJson(
  c: Context,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return c.body(JSON.stringify(body), status as 200, {
    'content-type': 'application/json; charset=utf-8',
    ...headers,
  });
}
