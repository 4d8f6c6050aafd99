// Decides, before vitest collects the tests, whether the suites that need a server (PostgreSQL,
// NATS with JetStream) run. A fresh machine without them still runs everything else (PGlite suites
// included) and is told, under the summary, which suites were left out and how to point them at a
// server. Under CI they always run, so an unreachable server fails the run instead of thinning it.
import { readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, relative } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** A server some integration suites connect to. */
interface TestServer {
  readonly name: string;
  /** The variable that points the suites at another server. */
  readonly variable: string;
  readonly defaultUrl: string;
  /** What a suite that opens a connection to this server imports or reads. */
  readonly usedBy: RegExp;
  readonly example: string;
  /** What still ran without it. */
  readonly ranInstead?: string;
  /**
   * Suites that run on another driver as well use what `marker` matches (flags read from `variable`) to skip
   * their server cases: without the server they run with `variable` set to `1`, doing what they
   * `ran` without it.
   */
  readonly partly?: { readonly variable: string; readonly marker: RegExp; readonly ran: string };
}

const servers: readonly TestServer[] = [
  {
    name: 'PostgreSQL server',
    variable: 'HINDSIGHT_PG_URL',
    defaultUrl: 'postgres://postgres@127.0.0.1:5432/test',
    usedBy: /createTestPool|HINDSIGHT_PG_URL|\bdatabaseUrl\b|support\/postgres\.js/,
    example: 'postgres://user@host:5432/db',
    ranInstead: 'the PGlite suites did',
    partly: {
      variable: 'HINDSIGHT_PG_LEFT_OUT',
      marker: /\b(serverLeftOut|driversToRun)\b/,
      ran: 'their PGlite cases only',
    },
  },
  {
    name: 'NATS server with JetStream',
    variable: 'HINDSIGHT_NATS_URL',
    defaultUrl: 'nats://127.0.0.1:4222',
    usedBy: /connectTestServer|HINDSIGHT_NATS_URL/,
    example: 'nats://host:4222',
  },
];

/** Whether this runs under CI: `CI` set to anything but empty, `false` or `0`. */
export function inCi(env: Env = process.env): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/** Whether a TCP connection to the URL's host and port opens within a few seconds. */
export function serverAnswers(url: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const answer = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(3_000);
    socket.once('connect', () => answer(true));
    socket.once('timeout', () => answer(false));
    socket.once('error', () => answer(false));
    socket.connect(Number(port || (protocol === 'nats:' ? 4222 : 5432)), hostname || '127.0.0.1');
  });
}

function testFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist') return [];
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.int.test.ts') ? [path] : [];
  });
}

/** The integration test files under `root` that open connections to `server`. */
function serverSuites(root: string, server: TestServer): string[] {
  return ['packages', 'examples', 'reliability', 'bench']
    .flatMap((folder) => testFiles(join(root, folder)))
    .filter((path) => server.usedBy.test(readFileSync(path, 'utf8')))
    .map((path) => relative(root, path))
    .sort();
}

/**
 * The suites to leave out of this run (none under CI, none for a server that answers), and a note
 * saying which and why for the end of the summary.
 */
export async function suitesWithoutServer(
  root: string,
  env: Env = process.env,
): Promise<{ exclude: string[]; note: string | undefined; env: Record<string, string> }> {
  if (inCi(env)) return { exclude: [], note: undefined, env: {} };
  const exclude = new Set<string>();
  const notes: string[] = [];
  const testEnv: Record<string, string> = {};
  for (const server of servers) {
    const url = env[server.variable] ?? server.defaultUrl;
    if (await serverAnswers(url)) continue;
    const suites = serverSuites(root, server);
    const marker = server.partly?.marker;
    const partly = suites.filter((path) => marker?.test(readFileSync(join(root, path), 'utf8')) === true);
    const left = suites.filter((path) => !partly.includes(path));
    for (const suite of left) exclude.add(suite);
    if (server.partly !== undefined) testEnv[server.partly.variable] = '1';
    const lines = [
      `No ${server.name} answers at ${url}: these ${left.length} suites need one and did not run` +
        (server.ranInstead === undefined ? ':' : ` (${server.ranInstead}):`),
      ...left.map((path) => `  ${path}`),
    ];
    if (partly.length > 0) {
      lines.push(
        `and these ${partly.length} suites ran ${server.partly?.ran}:`,
        ...partly.map((path) => `  ${path}`),
      );
    }
    lines.push(`Point them at one with ${server.variable}=${server.example} npm test.`);
    notes.push(lines.join('\n'));
  }
  if (notes.length === 0) return { exclude: [], note: undefined, env: {} };
  const note = [
    notes.join('\n\n'),
    'They use schemas and streams of their own and drop them. Under CI (CI=true) an unreachable',
    'server fails the run instead.',
  ].join('\n');
  return { exclude: [...exclude].sort(), note, env: testEnv };
}
