// Decides, before vitest collects the tests, whether the suites that need a PostgreSQL server run.
// A fresh machine without one still runs everything else (PGlite suites included) and is told, in
// the summary, which suites were left out and how to point them at a server. Under CI they always
// run, so an unreachable server fails the run instead of thinning it.
import { readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, relative } from 'node:path';

/** The server the integration tests use (the same default as their helpers). */
export const testDatabaseUrl = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// What a suite that opens a connection to the server imports or reads.
const needsServer = /createTestPool|HINDSIGHT_PG_URL|\bdatabaseUrl\b|support\/postgres\.js/;

/** Whether a TCP connection to the URL's host and port opens within a few seconds. */
export function serverAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
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
    socket.connect(Number(port || 5432), hostname || '127.0.0.1');
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

/** The integration test files under `root` that open connections to the PostgreSQL server. */
export function serverSuites(root: string): string[] {
  return ['packages', 'examples', 'reliability', 'bench']
    .flatMap((folder) => testFiles(join(root, folder)))
    .filter((path) => needsServer.test(readFileSync(path, 'utf8')))
    .map((path) => relative(root, path))
    .sort();
}

/** The suites to leave out of this run (none when the server answers or under CI), and why. */
export async function suitesWithoutServer(
  root: string,
): Promise<{ exclude: string[]; note: string | undefined }> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (ci || (await serverAnswers(testDatabaseUrl))) return { exclude: [], note: undefined };
  const exclude = serverSuites(root);
  const note = [
    `No PostgreSQL server answers at ${testDatabaseUrl}: these ${exclude.length} suites need one and did not run`,
    '(the PGlite suites did):',
    ...exclude.map((path) => `  ${path}`),
    'Point them at a server with HINDSIGHT_PG_URL=postgres://user@host:5432/db npm test (they use schemas of',
    'their own and drop them). Under CI=true an unreachable server fails the run.',
  ].join('\n');
  return { exclude, note };
}
