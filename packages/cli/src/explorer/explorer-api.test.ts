import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { createEventStore, createListenerRunner, createSubscription } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Account } from '../test-support/account.js';
import { cli, configModule, type Seeded, temporaryFolder } from '../test-support/cli-harness.js';
import {
  awkwardId,
  awkwardStream,
  type StartedExplorer,
  seedExplorerStore,
  startExplore,
} from '../test-support/explorer-harness.js';
import { Mailer, mailbox } from '../test-support/hindsight.config.js';

let folder: ReturnType<typeof temporaryFolder>;
let file: string;
let seeded: Seeded;
let explorer: StartedExplorer | undefined;

beforeEach(async () => {
  folder = temporaryFolder();
  file = join(folder.path, 'events.db');
  seeded = await seedExplorerStore(file);
});
afterEach(async () => {
  await explorer?.stop();
  explorer = undefined;
  folder.remove();
});

async function start(...args: string[]): Promise<StartedExplorer> {
  explorer = await startExplore(['--file', file, ...args], { cwd: folder.path });
  return explorer;
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${explorer?.url}${path}`);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function ok(path: string): Promise<Record<string, unknown>> {
  const { status, body } = await get(path);
  expect(status, `${path}: ${JSON.stringify(body)}`).toBe(200);
  return body;
}

const eventsOf = (body: Record<string, unknown>) => body.events as Record<string, unknown>[];
const streamPath = (streamId: string) => `/api/streams/${encodeURIComponent(streamId)}/events`;

describe('explore: the JSON API', () => {
  it("reports consumers (state, lag, last error with its event) and a listener's dead letters", async () => {
    const storage = createSqliteStorage({ path: file });
    const app = createEventStore({ storage, events: [Account] });
    const fast = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };
    const audit = createSubscription(app, {
      name: 'audit',
      ...fast,
      handle: (event) => {
        if (event.type === 'Deposited') throw new Error('audit table missing');
      },
    });
    await audit.start();
    await expect(audit.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    await audit.stop();
    mailbox.down = true;
    const mailer = createListenerRunner(app, Mailer, fast);
    await mailer.start();
    await mailer.waitUntilCaughtUp();
    await mailer.stop();
    await storage.close();
    await start();
    const consumers = (await get('/api/consumers')).body as unknown as Record<string, unknown>[];
    expect(consumers.map((consumer) => consumer.consumerId)).toEqual([
      'balances',
      'listener:mailer',
      'subscription:audit',
    ]);
    expect(consumers[1]).toMatchObject({ state: 'stopped', deadLetters: 3, lag: 0 });
    expect(consumers[2]).toMatchObject({
      state: 'failed',
      position: 1,
      lag: 8,
      lastError: { message: 'audit table missing', attempts: 2, event: { type: 'Deposited', position: 2 } },
    });
    const letters = (await get('/api/dead-letters/mailer')).body as unknown as Record<string, unknown>[];
    expect(letters).toHaveLength(3);
    expect(letters[0]).toMatchObject({ listener: 'mailer', event: { type: 'AccountOpened', position: 1 } });
    expect((await get('/api/dead-letters/nobody')).body).toEqual([]);
    expect((await ok('/api/info')).failures).toMatchObject([{ checkpointId: 'subscription:audit' }]);
  });

  it('describes the store: head, counts, consumers with their lag, and the aggregates of the config', async () => {
    await start('--config', configModule);
    expect(await ok('/api/info')).toEqual({
      store: { kind: 'sqlite', description: `SQLite file ${file}` },
      head: 9,
      streams: 4,
      events: 9,
      consumers: [{ consumerId: 'balances', position: 4, lag: 5 }],
      failures: [],
      aggregates: [{ name: 'Account', streamType: 'Account' }],
    });
  });

  it('lists streams by id, by type, a page at a time', async () => {
    await start();
    const all = await ok('/api/streams');
    expect(all).toEqual({
      streams: [
        { streamId: 'Account-a-1', streamType: 'Account', version: 4, status: 'open', archivedUpTo: 0 },
        { streamId: 'Account-a-2', streamType: 'Account', version: 2, status: 'open', archivedUpTo: 0 },
        { streamId: awkwardStream, streamType: 'Account', version: 2, status: 'open', archivedUpTo: 0 },
        { streamId: 'audit-1', streamType: 'Audit', version: 1, status: 'open', archivedUpTo: 0 },
      ],
      next: null,
    });
    const first = await ok('/api/streams?limit=2');
    expect(first.next).toBe('Account-a-2');
    const second = await ok(`/api/streams?limit=2&after=${encodeURIComponent('Account-a-2')}`);
    expect(second).toMatchObject({
      streams: [{ streamId: awkwardStream }, { streamId: 'audit-1' }],
      next: null,
    });
    expect(await ok('/api/streams?type=Audit')).toEqual({
      streams: [{ streamId: 'audit-1', streamType: 'Audit', version: 1, status: 'open', archivedUpTo: 0 }],
      next: null,
    });
  });

  it('searches streams by id prefix, a page at a time', async () => {
    await start();
    const ids = (body: Record<string, unknown>) =>
      (body.streams as { streamId: string }[]).map((stream) => stream.streamId);
    expect(ids(await ok('/api/streams?prefix=Account-a'))).toEqual(['Account-a-1', 'Account-a-2']);
    // The id equal to the prefix itself is found too.
    expect(ids(await ok('/api/streams?prefix=Account-a-1'))).toEqual(['Account-a-1']);
    expect(ids(await ok('/api/streams?prefix=Account-&type=Audit'))).toEqual([]);
    expect(ids(await ok('/api/streams?prefix=zzz'))).toEqual([]);
    const first = await ok('/api/streams?prefix=Account-a&limit=1');
    expect(first).toMatchObject({ streams: [{ streamId: 'Account-a-1' }], next: 'Account-a-1' });
    const second = await ok('/api/streams?prefix=Account-a&limit=1&after=Account-a-1');
    expect(second).toMatchObject({ streams: [{ streamId: 'Account-a-2' }], next: null });
  });

  it('reads a stream whose id holds a slash, a quote and a space, and names its aggregate', async () => {
    await start('--config', configModule);
    const body = await ok(streamPath(awkwardStream));
    expect(body.stream).toEqual({
      streamId: awkwardStream,
      streamType: 'Account',
      version: 2,
      status: 'open',
      archivedUpTo: 0,
    });
    expect(body.aggregate).toEqual({ name: 'Account', id: awkwardId });
    expect(eventsOf(body)).toMatchObject([
      { streamId: awkwardStream, version: 1, position: 8, type: 'AccountOpened', data: { owner: 'Quinn' } },
      { streamId: awkwardStream, version: 2, position: 9, type: 'Deposited', data: { amount: 3 } },
    ]);
    expect(body.next).toBeNull();
    // The query form carries ids a URL path cannot (`.` and `..` are resolved before sending).
    const byQuery = await ok(`/api/stream-events?streamId=${encodeURIComponent(awkwardStream)}`);
    expect(byQuery).toEqual(body);
    const dots = await get('/api/stream-events?streamId=..');
    expect(dots).toMatchObject({
      status: 404,
      body: { error: { code: 'STREAM_NOT_FOUND', message: expect.stringContaining('no stream ".."') } },
    });
    expect((await get('/api/stream-events')).status).toBe(400);
  });

  it('reads a stream as it was at an instant, up to a version, and in pages', async () => {
    await start();
    const then = await ok(`${streamPath('Account-a-1')}?until=${seeded.between.toISOString()}`);
    expect(eventsOf(then).map((event) => event.version)).toEqual([1, 2]);
    const upTo3 = await ok(`${streamPath('Account-a-1')}?toVersion=3`);
    expect(eventsOf(upTo3).map((event) => event.type)).toEqual(['AccountOpened', 'Deposited', 'Deposited']);
    const page = await ok(`${streamPath('Account-a-1')}?limit=3`);
    expect(page.next).toBe(4);
    const rest = await ok(`${streamPath('Account-a-1')}?fromVersion=4`);
    expect(eventsOf(rest)).toMatchObject([{ version: 4, type: 'AccountClosed', metadata: {} }]);
    expect(eventsOf(page)[0]).toMatchObject({ metadata: { actorId: 'teller-1' } });
    // Without a config there is no aggregate to name.
    expect((await ok(streamPath('Account-a-1'))).aggregate).toBeNull();
  });

  it('pages through the global log, filtered by event type and stream type', async () => {
    await start();
    const page = await ok('/api/events?after=3&limit=2');
    expect(page).toMatchObject({ head: 9, next: 5 });
    expect(eventsOf(page).map((event) => event.position)).toEqual([4, 5]);
    const last = await ok('/api/events?after=8&limit=2');
    expect(eventsOf(last).map((event) => event.position)).toEqual([9]);
    expect(last.next).toBeNull();
    const typed = await ok('/api/events?type=Deposited&type=AccountClosed');
    expect(eventsOf(typed).map((event) => event.position)).toEqual([2, 4, 6, 7, 9]);
    const audits = await ok('/api/events?streamType=Audit');
    expect(eventsOf(audits)).toMatchObject([{ position: 3, streamId: 'audit-1', type: 'Reviewed' }]);
  });

  it('folds an aggregate now, at a version and as of an instant, whatever its id holds', async () => {
    await start('--config', configModule);
    expect(await ok('/api/state/Account/a-1?atVersion=2')).toEqual({
      aggregate: 'Account',
      id: 'a-1',
      streamId: 'Account-a-1',
      version: 2,
      latestVersion: 4,
      state: { status: 'open', owner: 'Ada', balance: 10 },
    });
    expect(await ok(`/api/state/Account/a-1?asOf=${seeded.between.toISOString()}`)).toMatchObject({
      version: 2,
      asOf: seeded.between.toISOString(),
      state: { balance: 10 },
    });
    expect(await ok('/api/state/Account/a-1')).toMatchObject({
      version: 4,
      state: { status: 'closed', balance: 15 },
    });
    expect(await ok(`/api/state/Account/${encodeURIComponent(awkwardId)}`)).toMatchObject({
      id: awkwardId,
      streamId: awkwardStream,
      state: { owner: 'Quinn', balance: 3 },
    });
  });

  it('refuses bad parameters with 400, naming them', async () => {
    await start('--config', configModule);
    const cases: [string, string, string][] = [
      ['/api/events?after=ten', 'INVALID_ARGUMENT', 'after must be a whole number ≥ 0, got "ten"'],
      ['/api/events?limit=0', 'INVALID_ARGUMENT', 'limit must be a whole number ≥ 1'],
      ['/api/streams?limit=501', 'INVALID_ARGUMENT', 'limit must be at most 500'],
      ['/api/events?typ=Deposited', 'INVALID_ARGUMENT', 'unknown parameter "typ"'],
      ['/api/streams?after=a&after=b', 'INVALID_ARGUMENT', 'after is given more than once'],
      [
        `${streamPath('Account-a-1')}?until=yesterday`,
        'INVALID_ARGUMENT',
        'until must be an ISO 8601 instant',
      ],
      [
        `${streamPath('Account-a-1')}?fromVersion=0`,
        'INVALID_ARGUMENT',
        'fromVersion must be a whole number ≥ 1',
      ],
      ['/api/state/Account/a-1?atVersion=-1', 'INVALID_ARGUMENT', 'atVersion must be a whole number ≥ 0'],
      ['/api/state/Account/a-1?asOf=soon', 'INVALID_ARGUMENT', 'asOf must be an ISO 8601 instant'],
      ['/api/state/Account/a-1?atVersion=9', 'VERSION_OUT_OF_RANGE', 'atVersion 9 is beyond it'],
      ['/api/streams/%E0%A4%A/events', 'INVALID_ARGUMENT', 'not valid percent-encoded UTF-8'],
    ];
    for (const [path, code, message] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(body, path).toEqual({ error: { code, message: expect.stringContaining(message) } });
    }
  });

  it('answers 404 for unknown routes, streams and aggregates, 405 for writes', async () => {
    await start('--config', configModule);
    const cases: [string, string, string][] = [
      ['/api/nope', 'ROUTE_NOT_FOUND', 'no API route /api/nope'],
      ['/api/info/more', 'ROUTE_NOT_FOUND', 'no API route'],
      ['/nope', 'ROUTE_NOT_FOUND', 'nothing at /nope'],
      [streamPath('Account-zz'), 'STREAM_NOT_FOUND', 'no stream "Account-zz"'],
      [
        '/api/state/Acount/a-1',
        'UNKNOWN_AGGREGATE',
        'no aggregate named "Acount" in the config (it has: Account)',
      ],
      ['/api/state/Account/zz', 'STREAM_NOT_FOUND', 'no events for Account zz'],
    ];
    for (const [path, code, message] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(404);
      expect(body, path).toEqual({ error: { code, message: expect.stringContaining(message) } });
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const write = await fetch(`${explorer?.url}/api/info`, {
        method,
        ...(method === 'OPTIONS' ? {} : { body: '{}' }),
      });
      expect(write.status, method).toBe(405);
      expect(write.headers.get('allow')).toBe('GET, HEAD');
      expect(await write.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
    }
  });

  it('answers client errors with 4xx, never 500', async () => {
    await start('--config', configModule);
    const cases: [string, number, string][] = [
      ['/api/stream-events', 400, 'INVALID_ARGUMENT'],
      ['/api/stream-events?streamId=nope', 404, 'STREAM_NOT_FOUND'],
      ['/api/state/Account/a-1?atVersion=1&atVersion=2', 400, 'INVALID_ARGUMENT'],
      ['/api/info?x=1', 400, 'INVALID_ARGUMENT'],
      ['/%E0%A4%A', 400, 'INVALID_ARGUMENT'],
      ['/explorer.js/more', 404, 'ROUTE_NOT_FOUND'],
      ['/api/', 404, 'ROUTE_NOT_FOUND'],
      [`/api/stream-events?streamId=${'x'.repeat(300)}`, 400, 'INVALID_STREAM_ID'],
      [`${streamPath('y'.repeat(300))}`, 400, 'INVALID_STREAM_ID'],
    ];
    for (const [path, status, code] of cases) {
      const answer = await get(path);
      expect(answer.status, path).toBe(status);
      expect(answer.body, path).toMatchObject({ error: { code } });
    }
    const head = await fetch(`${explorer?.url}/api/info`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers state requests with CONFIG_MISSING when started without a config', async () => {
    const started = await startExplore(['--file', file], { cwd: folder.path });
    explorer = started;
    expect((await ok('/api/info')).aggregates).toEqual([]);
    const { status, body } = await get('/api/state/Account/a-1');
    expect(status).toBe(404);
    expect(body).toMatchObject({
      error: { code: 'CONFIG_MISSING', message: expect.stringContaining('--config') },
    });
    const result = await started.stop();
    explorer = undefined;
    expect(result.stderr).toContain('No config module: the explorer shows no aggregate state');
  });

  it('only answers requests that name a loopback host, against DNS rebinding', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    expect(await statusFor(url, `127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(url, `localhost:${port}`)).toBe(200);
    expect(await statusFor(url, `attacker.example:${port}`)).toBe(403);
  });

  it('answers forwarded ports on loopback names and the hosts given with --allow-host', async () => {
    const { url } = await start('--allow-host', 'box-4600.example.dev', '--allow-host', 'other.example:9000');
    const { port } = new URL(url);
    // ssh -L 8080:localhost:<port>: the browser names the forwarded port.
    expect(await statusFor(url, 'localhost:8080')).toBe(200);
    expect(await statusFor(url, '127.0.0.1:9999')).toBe(200);
    expect(await statusFor(url, '[::1]:8080')).toBe(200);
    expect(await statusFor(url, 'box-4600.example.dev')).toBe(200);
    expect(await statusFor(url, 'BOX-4600.example.dev:443')).toBe(200);
    expect(await statusFor(url, 'other.example:9000')).toBe(200);
    expect(await statusFor(url, 'other.example:9001')).toBe(403);
    expect(await statusFor(url, `attacker.example:${port}`)).toBe(403);
    const bad = await cli(['explore', '--file', file, '--port', '0', '--allow-host', 'a b']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[INVALID_ARGUMENT] --allow-host takes a host name');
  });

  it('warns when listening beyond loopback, and keeps the Host check there', async () => {
    const started = await start('--host', '0.0.0.0', '--allow-host', 'box.example');
    const { port } = new URL(started.url);
    expect(started.url).toBe(`http://127.0.0.1:${port}`);
    expect(await statusFor(started.url, `127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(started.url, `box.example:${port}`)).toBe(200);
    expect(await statusFor(started.url, `attacker.example:${port}`)).toBe(403);
    const result = await started.stop();
    explorer = undefined;
    expect(result.stderr).toContain('Warning: listening on 0.0.0.0, beyond this machine');
    const local = await start();
    const quiet = await local.stop();
    explorer = undefined;
    expect(quiet.stderr).not.toContain('Warning');
  });
});

describe('explore: the page', () => {
  it('serves the page, whose policy allows its inline style and scripts from this origin only', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/?stream=Account-a-1&event=2`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')?.toLowerCase()).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toContain('<title>Hindsight explorer</title>');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//);
    expect(html).toContain('<script type="module" src="/explorer.js"></script>');
    expect(html).not.toMatch(/<script[^>]*>[^<]/);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(policy).toContain(`style-src '${sha256(style)}'`);
  });

  it('serves the compiled page script as a file', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/explorer.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    const script = await response.text();
    expect(script).toContain('fetch(`/api/');
    // Compiled: no type annotations left.
    expect(script).not.toMatch(/^interface /m);
    expect(script).not.toContain(': Promise<');
  });
});

describe('explore: the command', () => {
  it('stops when its signal aborts: exit code 0, the port closed', async () => {
    const { url, stop } = await start();
    expect((await fetch(`${url}/api/info`)).status).toBe(200);
    const result = await stop();
    explorer = undefined;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ url });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(fetch(`${url}/api/info`)).rejects.toThrow();
  });

  it('prints where it listens for humans, and refuses a bad port, a busy port and a broken config', async () => {
    const { url } = await start();
    const port = new URL(url).port;
    const busy = await cli(['explore', '--file', file, '--port', port]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    expect(busy.stderr).toContain('--port 0 for any free one');
    const badPort = await cli(['explore', '--file', file, '--port', '70000']);
    expect(badPort.stderr).toContain('--port must be at most 65535');
    const badConfig = await cli(['explore', '--file', file, '--config', join(folder.path, 'missing.js')]);
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toContain('missing.js does not exist');

    const controller = new AbortController();
    controller.abort();
    const human = await cli(['explore', '--file', file, '--port', '0'], { signal: controller.signal });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^explorer on http:\/\/127\.0\.0\.1:\d+ \(store SQLite file .+events\.db\)\n$/,
    );
  });

  it('has help like every command', async () => {
    const help = await cli(['help', 'explore']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hindsight explore \[options\]/);
    expect(help.stdout).toContain('--port <N>');
    expect(help.stdout).toContain('--host <HOST>');
    expect((await cli(['explore', '--help'])).stdout).toBe(help.stdout);
    expect((await cli(['--help'])).stdout).toMatch(/^ {2}explore\s+A read-only explorer/m);
  });
});

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** The status of `GET /api/info` sent with this Host header (fetch does not let one choose it). */
function statusFor(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request(`${url}/api/info`, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}
