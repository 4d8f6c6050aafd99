import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CliError,
  type CliErrorCode,
  describeError,
  hindsightCode,
  usageError,
} from '../internal/cli-error.js';
import type { ExplorerApi } from './explorer-api.js';
import { renderExplorerPage } from './explorer-page.js';

/** Options of {@link startExplorer}. */
export interface ExplorerServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly api: ExplorerApi;
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

const statusByCode: Readonly<Record<CliErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  VERSION_OUT_OF_RANGE: 400,
  HOST_NOT_ALLOWED: 403,
  CONFIG_MISSING: 404,
  UNKNOWN_AGGREGATE: 404,
  UNKNOWN_PROJECTION: 404,
  STREAM_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  // Only `hindsight check` fails with it; the explorer never does.
  CHECK_FAILED: 422,
};

const commonHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the explorer page at `/` and its JSON API under `/api/` (node:http, GET and HEAD only)
 * until {@link RunningExplorer.close}. Rejects with the listen error (e.g. `EADDRINUSE`).
 */
export async function startExplorer(options: ExplorerServerOptions): Promise<RunningExplorer> {
  const page = renderExplorerPage();
  const pending = new Set<Promise<void>>();
  let hostAllowed: (header: string | undefined) => boolean = () => false;

  const respond = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = request.url ?? '/';
    try {
      if (!hostAllowed(request.headers.host)) {
        throw new CliError(`the explorer does not answer for host "${request.headers.host ?? ''}"`, {
          code: 'HOST_NOT_ALLOWED',
        });
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new CliError(`the explorer is read-only: ${request.method ?? 'this method'} is not allowed`, {
          code: 'METHOD_NOT_ALLOWED',
        });
      }
      const queryStart = target.indexOf('?');
      const path = queryStart === -1 ? target : target.slice(0, queryStart);
      const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
      const [root, ...segments] = decodePath(path);
      if (root === '' && segments.length === 0) {
        send(response, 200, page.html, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': page.contentSecurityPolicy,
        });
        return;
      }
      if (root !== 'api') {
        throw new CliError(`nothing at ${path}: the page is at /, the API under /api/`, {
          code: 'ROUTE_NOT_FOUND',
        });
      }
      sendJson(response, 200, await options.api.answer(segments, query));
    } catch (error) {
      const { status, code } = classify(error);
      if (status >= 500) options.onError?.(error, `${request.method ?? ''} ${target}`);
      sendJson(
        response,
        status,
        { error: { code, message: describeError(error) } },
        status === 405 ? { allow: 'GET, HEAD' } : {},
      );
    }
  };

  const server = createServer((request, response) => {
    const handling: Promise<void> = respond(request, response).finally(() => pending.delete(handling));
    pending.add(handling);
  });
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
  const url = `http://${urlHost(options.host)}:${port}`;
  hostAllowed = hostCheck(options.host, port);

  return {
    url,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...pending]);
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The path's segments, percent-decoded one by one: an encoded `/` stays inside its segment. */
function decodePath(path: string): string[] {
  const [first, ...segments] = path.split('/');
  // Only origin-form targets (`/api/info`); `*` or a full URL is not for the explorer.
  if (first !== '') return [first ?? ''];
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch (error) {
    throw usageError(`the path ${path} is not valid percent-encoded UTF-8: ${describeError(error)}`);
  }
}

function classify(error: unknown): { status: number; code: string } {
  if (error instanceof CliError) {
    if (error.code !== undefined) return { status: statusByCode[error.code], code: error.code };
    return { status: error.usage ? 400 : 500, code: error.usage ? 'INVALID_ARGUMENT' : 'INTERNAL_ERROR' };
  }
  const code = hindsightCode(error);
  if (code === 'NOT_SUPPORTED') return { status: 501, code };
  return { status: 500, code: code ?? 'INTERNAL_ERROR' };
}

/**
 * On a loopback address, only requests naming it as their host are answered: a web page the
 * user visits cannot reach the explorer by rebinding its own domain name to 127.0.0.1.
 * Listening elsewhere is a choice to be reached by other names, so any host is answered there.
 */
function hostCheck(host: string, port: number): (header: string | undefined) => boolean {
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (!loopback) return () => true;
  const allowed = new Set(
    ['localhost', '127.0.0.1', '[::1]', urlHost(host)].map((name) => `${name}:${port}`.toLowerCase()),
  );
  return (header) => header !== undefined && allowed.has(header.toLowerCase());
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(response, status, JSON.stringify(body), {
    'content-type': 'application/json; charset=utf-8',
    ...headers,
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>>,
): void {
  response.writeHead(status, {
    ...commonHeaders,
    ...headers,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
