// The install test: publishes every package to a private registry (verdaccio, on a free port, with
// its storage in a temporary folder), installs them from it into fresh projects outside the
// repository, compiles a small app with TypeScript strict and `skipLibCheck: false`, and runs it on
// memory, SQLite and PostgreSQL, then `npx hindsight info`. A second project uses PGlite without
// `pg`; a third traces a store with @hindsight/opentelemetry and forwards its events with
// @hindsight/nats. Only @hindsight/* come from the private registry; everything else from the usual one.
//
// Run after `npm run build` (it builds if dist/ is missing). PostgreSQL: HINDSIGHT_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test), NATS: HINDSIGHT_NATS_URL (default
// nats://127.0.0.1:4222); unreachable, their steps are skipped with a message, except under CI
// where that fails the run.
import { execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const pgUrl = process.env.HINDSIGHT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.HINDSIGHT_NATS_URL ?? 'nats://127.0.0.1:4222';
// The same rule as test-support/test-servers.ts: CI set to anything but empty, `false` or `0`.
const ci = ![undefined, '', 'false', '0'].includes(process.env.CI);
const work = mkdtempSync(join(tmpdir(), 'hindsight-install-'));
const results = { passed: 0, failed: 0, skipped: 0 };
const started = Date.now();
let registry;

// Nothing here may hang CI: the whole test has a budget, and each command its own.
const budget = setTimeout(() => {
  console.error('install test: over its 20-minute budget, stopping');
  finish(1);
}, 20 * 60_000);

function finish(code) {
  clearTimeout(budget);
  registry?.kill();
  rmSync(work, { recursive: true, force: true });
  const skipped = results.skipped > 0 ? `, ${results.skipped} skipped` : '';
  console.log(`install test: ${results.passed} passed, ${results.failed} failed${skipped}`);
  process.exit(code);
}

function run(command, args, { cwd, env = {}, timeoutMs = 5 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

async function step(name, work) {
  const at = Date.now();
  try {
    const said = await work();
    results.passed += 1;
    console.log(`  ok ${name} (${((Date.now() - at) / 1000).toFixed(1)} s)${said ? `: ${said}` : ''}`);
  } catch (error) {
    results.failed += 1;
    console.error(`  FAILED ${name}: ${error instanceof Error ? error.message : error}`);
    finish(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(3_000);
    const answer = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => answer(true));
    socket.once('timeout', () => answer(false));
    socket.once('error', () => answer(false));
    socket.connect(Number(port || defaultPort), hostname);
  });
}

async function startRegistry() {
  const port = await freePort();
  const storage = join(work, 'storage');
  const config = join(work, 'verdaccio.yaml');
  // No uplinks: the fresh projects ask this registry for @hindsight/* only.
  writeFileSync(
    config,
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(work, 'htpasswd')}`,
      "packages:\n  '@hindsight/*':\n    access: $all\n    publish: $authenticated",
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  registry = spawn(
    process.execPath,
    [join(root, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  for (let attempt = 0; ; attempt += 1) {
    try {
      if ((await fetch(`${url}/-/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 300 || registry.exitCode !== null) throw new Error('verdaccio did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A user for publishing, the way `npm adduser` makes one.
  const response = await fetch(`${url}/-/user/org.couchdb.user:ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', password: 'install-test', type: 'user' }),
  });
  const { token } = await response.json();
  if (!token) throw new Error(`verdaccio refused the user: ${response.status}`);
  const npmrc = `@hindsight:registry=${url}/\n//127.0.0.1:${port}/:_authToken=${token}\n`;
  return { url, npmrc };
}

async function freshProject(name, npmrc, dependencies, types = ['node']) {
  const folder = join(work, name);
  mkdirSync(join(folder, 'src'), { recursive: true });
  writeFileSync(
    join(folder, 'package.json'),
    `${JSON.stringify({ name, private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`,
  );
  writeFileSync(join(folder, '.npmrc'), npmrc);
  writeFileSync(
    join(folder, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          types,
          outDir: 'dist',
          rootDir: 'src',
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...dependencies], {
    cwd: folder,
    timeoutMs: 10 * 60_000,
  });
  return folder;
}

function installed(folder, name) {
  return existsSync(join(folder, 'node_modules', name, 'package.json'));
}

console.log(`install test in ${work}`);
if (!existsSync(join(root, 'packages/cli/dist/bin.js'))) {
  await step('npm run build', () => run('npm', ['run', 'build'], { cwd: root }));
}

let npmrc;
let url;
await step('start verdaccio', async () => {
  ({ url, npmrc } = await startRegistry());
  writeFileSync(join(work, '.npmrc'), npmrc);
  return url;
});

const packages = readdirSync(join(root, 'packages'));
await step(`publish ${packages.length} packages`, async () => {
  for (const name of packages) {
    await run('npm', ['publish', '--registry', `${url}/`, '--ignore-scripts', '--loglevel=error'], {
      cwd: join(root, 'packages', name),
      env: { npm_config_userconfig: join(work, '.npmrc') },
    });
  }
  return packages.map((name) => `@hindsight/${name}`).join(', ');
});

let ledger;
await step('install from the registry (pg, no PGlite)', async () => {
  ledger = await freshProject('ledger', npmrc, [
    '@hindsight/core',
    '@hindsight/sqlite',
    '@hindsight/postgres',
    '@hindsight/cli',
    'pg',
    '@types/pg',
    'zod',
    'typescript',
    '@types/node@20',
  ]);
  // Tracing and NATS are opt-in packages: core and the stores pull in neither.
  for (const absent of ['@electric-sql/pglite', 'drizzle-orm', '@opentelemetry/api', '@nats-io/nats-core']) {
    if (installed(ledger, absent)) throw new Error(`${absent} was installed, so this proves nothing`);
  }
  copyFileSync(join(here, 'app/ledger.ts'), join(ledger, 'src/ledger.ts'));
});

await step('compile the app (strict, skipLibCheck false)', () =>
  run(process.execPath, [join(ledger, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: ledger }),
);

const ledgerOn = (store, env = {}) =>
  run(process.execPath, ['dist/ledger.js', store], { cwd: ledger, env }).then((out) => out.trim());
await step('run it in memory', () => ledgerOn('memory'));
await step('run it on SQLite', () => ledgerOn('sqlite'));
if ((await reachable(pgUrl, 5432)) || ci) {
  await step('run it on PostgreSQL', () => ledgerOn('postgres', { HINDSIGHT_PG_URL: pgUrl }));
} else {
  results.skipped += 1;
  console.log(`  skipped PostgreSQL: no server at ${pgUrl} (set HINDSIGHT_PG_URL to point at one)`);
}
await step('npx hindsight info', async () => {
  const out = await run('npx', ['--no-install', 'hindsight', 'info'], { cwd: ledger });
  // The SQLite run left one stream of three events in the CLI's default file.
  if (!/^streams\s+1$/m.test(out) || !/^events\s+3$/m.test(out)) {
    throw new Error(`info does not show what the app wrote:\n${out}`);
  }
  return out.split('\n').slice(1, 4).join(', ').replaceAll(/\s+/g, ' ');
});

await step('install from the registry (PGlite, no pg)', async () => {
  const notes = await freshProject(
    'notes',
    npmrc,
    [
      '@hindsight/core',
      '@hindsight/postgres',
      '@electric-sql/pglite@^0.5.16',
      'zod',
      'typescript',
      '@types/node@20',
      // PGlite's own declarations use Emscripten's global types without depending on them.
      '@types/emscripten',
    ],
    ['node', 'emscripten'],
  );
  for (const absent of ['pg', '@types/pg']) {
    if (installed(notes, absent)) throw new Error(`${absent} was installed, so this proves nothing`);
  }
  copyFileSync(join(here, 'pglite-app/notes.ts'), join(notes, 'src/notes.ts'));
  await run(process.execPath, [join(notes, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: notes });
  return (await run(process.execPath, ['dist/notes.js'], { cwd: notes })).trim();
});

let relay;
await step('install from the registry (NATS forwarder, OpenTelemetry)', async () => {
  relay = await freshProject('relay', npmrc, [
    '@hindsight/core',
    '@hindsight/nats',
    '@hindsight/opentelemetry',
    '@nats-io/transport-node',
    '@nats-io/jetstream',
    '@opentelemetry/api',
    'zod',
    'typescript',
    '@types/node@20',
  ]);
  copyFileSync(join(here, 'relay-app/relay.ts'), join(relay, 'src/relay.ts'));
  await run(process.execPath, [join(relay, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: relay });
});
const relayWith = (...args) =>
  run(process.execPath, ['dist/relay.js', ...args], { cwd: relay }).then((out) => out.trim());
if ((await reachable(natsUrl, 4222)) || ci) {
  await step('run it, forwarding to NATS JetStream', () => relayWith(natsUrl));
} else {
  await step('run it without NATS', () => relayWith());
  results.skipped += 1;
  console.log(`  skipped NATS: no server at ${natsUrl} (set HINDSIGHT_NATS_URL to point at one)`);
}

console.log(`install test done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
finish(0);
