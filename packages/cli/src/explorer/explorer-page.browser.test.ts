import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  createEventStore,
  createListenerRunner,
  createRepository,
  createSubscription,
  type EventStorage,
} from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../../../../test-support/chromium.js';
import { Account } from '../test-support/account.js';
import { configModule, type Seeded, temporaryFolder } from '../test-support/cli-harness.js';
import {
  awkwardStream,
  type StartedExplorer,
  seedExplorerStore,
  startExplore,
} from '../test-support/explorer-harness.js';
import { Mailer, mailbox } from '../test-support/hindsight.config.js';

const skip = skipWithoutChromium('explorer browser test');

/** Markup in a stream id and in event data: it must show as text, never become elements. */
const markupStream = '<b id="injected">bold</b>';

describe.skipIf(skip)('explore: the page in Chromium', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let seeded: Seeded;
  let explorer: StartedExplorer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    folder = temporaryFolder();
    const file = join(folder.path, 'events.db');
    seeded = await seedExplorerStore(file);
    const storage = createSqliteStorage({ path: file });
    await storage.append({
      streamId: markupStream,
      streamType: 'Audit',
      expectedVersion: 'no_stream',
      events: [
        {
          eventId: crypto.randomUUID(),
          type: 'Noted',
          data: {
            note: '<img src=x onerror=alert(1)>',
            // Personal fields as a store without the definitions reads them, and as forgotten.
            email: { $enc: 'v1', subject: 's-1', kid: 'k', iv: 'aXY=', tag: 'dGFn', data: 'ZGF0YQ==' },
            name: { $forgotten: true, subject: 's-1' },
          },
          metadata: {},
        },
      ],
    });
    await failSomeConsumers(storage);
    await storage.close();
    explorer = await startExplore(['--file', file, '--config', configModule]);
    browser = await launchChromium();
    page = await browser.newPage();
    // A script error or a blocked inline script (wrong policy hash) shows up here.
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // The tests send two bad values on purpose; Chromium logs their HTTP 400 answers.
      const expected = /status of 400 \(Bad Request\)/.test(message.text());
      if (message.type() === 'error' && !expected) problems.push(message.text());
    });
    await page.goto(explorer.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await explorer?.stop();
    folder?.remove();
  });

  const text = (selector: string) => page.locator(selector).innerText();
  const column = (table: string, index: number) =>
    page.locator(`${table} tbody tr td:nth-child(${index})`).allInnerTexts();

  it('shows the head position, the counts and the consumers with their lag', async () => {
    await page.locator('#head', { hasText: /^\d+$/ }).waitFor();
    expect(await text('#head')).toBe('10');
    expect(await text('#stream-count')).toBe('5');
    expect(await text('#event-count')).toBe('10');
    expect(await page.locator('#consumers tr[data-consumer="balances"]').innerText()).toBe(
      'balances\tstopped\t4\t6\t-\t-\t',
    );
  });

  it("shows a failed consumer's state and last error, linked to its event, and a listener's dead letters", async () => {
    const failed = page.locator('#consumers tr[data-consumer="subscription:audit"]');
    await failed.waitFor();
    expect(await failed.locator('td').allInnerTexts()).toEqual([
      'subscription:audit',
      'failed',
      '1',
      '9',
      '-',
      '-',
      'audit table missing (after 2 attempt(s)) on Deposited at position 2',
    ]);
    expect(await page.locator('#consumers tr[data-consumer="listener:mailer"] td').nth(5).innerText()).toBe(
      '3',
    );
    await page.locator('#dead-letters-panel').waitFor();
    expect(await column('#dead-letters', 1)).toEqual(['mailer', 'mailer', 'mailer']);
    expect(await column('#dead-letters', 3)).toEqual(['AccountOpened', 'AccountOpened', 'AccountOpened']);
    expect((await column('#dead-letters', 7))[0]).toMatch(/^mail server down/);

    const other = await browser.newPage();
    other.on('pageerror', (error) => problems.push(error.message));
    try {
      await other.goto(explorer.url);
      await other.getByRole('link', { name: 'Deposited at position 2' }).click();
      await other.locator('#log tbody tr').first().waitFor();
      expect(await other.locator('#log tbody tr td:nth-child(1)').first().innerText()).toBe('2');
      expect(new URL(other.url()).searchParams.get('logAfter')).toBe('1');
    } finally {
      await other.close();
    }
  });

  it("shows a stream's events when it is clicked, data as pretty JSON", async () => {
    await page.getByRole('link', { name: 'Account-a-1', exact: true }).click();
    await page.locator('#stream-title', { hasText: 'Account-a-1' }).waitFor();
    await page.locator('#stream-events tbody tr').nth(3).waitFor();
    expect(await column('#stream-events', 1)).toEqual(['1', '2', '3', '4']);
    expect(await column('#stream-events', 4)).toEqual([
      'AccountOpened',
      'Deposited',
      'Deposited',
      'AccountClosed',
    ]);
    const [data = '', metadata = ''] = await page
      .locator('#stream-events tbody tr')
      .first()
      .locator('pre')
      .allInnerTexts();
    expect(JSON.parse(data)).toEqual({ owner: 'Ada' });
    expect(data).toContain('\n  "owner": "Ada"\n');
    expect(JSON.parse(metadata)).toEqual({ actorId: 'teller-1' });
    expect(await text('#stream-summary')).toBe('stream type Account, version 4, aggregate Account a-1');
  });

  it('shows the state at a version and as of an instant', async () => {
    await page.locator('#state-at').fill('2');
    await page.getByRole('button', { name: 'Show state' }).click();
    await page.locator('#state-summary', { hasText: 'at version 2 of 4' }).waitFor();
    expect(JSON.parse(await text('#state-json'))).toEqual({ status: 'open', owner: 'Ada', balance: 10 });

    await page.locator('#state-mode').selectOption('asOf');
    await page.locator('#state-at').fill(seeded.between.toISOString());
    await page.getByRole('button', { name: 'Show state' }).click();
    await page.locator('#state-summary', { hasText: `as of ${seeded.between.toISOString()}` }).waitFor();
    expect(await text('#state-summary')).toBe(
      `Account a-1 at version 2 of 4, as of ${seeded.between.toISOString()}`,
    );

    await page.locator('#state-at').fill('last tuesday');
    await page.getByRole('button', { name: 'Show state' }).click();
    await page.locator('#state-summary', { hasText: 'INVALID_ARGUMENT' }).waitFor();
    expect(await text('#state-summary')).toContain('asOf must be an ISO 8601 instant');
  });

  it('finds a stream whose id holds a slash and a quote, and folds its state', async () => {
    await page.getByRole('link', { name: awkwardStream, exact: true }).click();
    await page.locator('#stream-title', { hasText: awkwardStream }).waitFor();
    expect(await column('#stream-events', 4)).toEqual(['AccountOpened', 'Deposited']);
    await page.locator('#state-at').fill('');
    await page.getByRole('button', { name: 'Show state' }).click();
    await page.locator('#state-summary', { hasText: 'at version 2 of 2' }).waitFor();
    expect(JSON.parse(await text('#state-json'))).toEqual({ status: 'open', owner: 'Quinn', balance: 3 });
  });

  it('shows markup from the store as text, and personal fields as encrypted or forgotten', async () => {
    await page.getByRole('link', { name: markupStream, exact: true }).click();
    await page.locator('#stream-title', { hasText: markupStream }).waitFor();
    expect(await text('#stream-title')).toBe(markupStream);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(JSON.parse(await text('#stream-events tbody pre'))).toEqual({
      note: '<img src=x onerror=alert(1)>',
      email: '‹encrypted: personal data of s-1›',
      name: '‹forgotten: data subject s-1›',
    });
    expect(await text('#state-unavailable')).toContain('No aggregate of the config has stream type Audit');
  });

  it('pages through the global log, filtered by type', async () => {
    await page.getByRole('tab', { name: 'Global log' }).click();
    await page.locator('#log tbody tr').nth(9).waitFor();
    expect(await column('#log', 1)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    await page.locator('#log-types').fill('Deposited, AccountClosed');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.locator('#log tbody tr', { hasText: 'AccountClosed' }).waitFor();
    expect(await column('#log', 1)).toEqual(['2', '4', '6', '7', '9']);
    await page.locator('#log-types').fill('');
    await page.locator('#log-after').fill('ten');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.locator('#error', { hasText: 'after must be a whole number' }).waitFor();
    expect(await text('#error')).toContain('[INVALID_ARGUMENT]');
  });

  it('keeps the view in the URL: back and forward walk through it', async () => {
    await page.goto(explorer.url);
    await page.getByRole('link', { name: 'Account-a-2', exact: true }).click();
    await page.locator('#stream-title', { hasText: 'Account-a-2' }).waitFor();
    expect(new URL(page.url()).searchParams.get('stream')).toBe('Account-a-2');
    await page.getByRole('tab', { name: 'Global log' }).click();
    await page.locator('#log tbody tr').first().waitFor();
    expect(new URL(page.url()).searchParams.get('tab')).toBe('log');
    await page.goBack();
    await page.locator('#streams-panel:not([hidden])').waitFor();
    await page.locator('#stream-title', { hasText: 'Account-a-2' }).waitFor();
    expect(await text('#stream-title')).toBe('Account-a-2');
    await page.goBack();
    await page.locator('#stream').waitFor({ state: 'hidden' });
    expect(new URL(page.url()).search).toBe('');
    await page.goForward();
    await page.locator('#stream-title', { hasText: 'Account-a-2' }).waitFor();
    expect(await column('#stream-events', 4)).toEqual(['AccountOpened', 'Deposited']);
  });

  it('opens links to a stream, an event, a state at a version and a filtered log directly', async () => {
    const stream = encodeURIComponent(awkwardStream);
    await page.goto(`${explorer.url}/?stream=${stream}`);
    await page.locator('#stream-title', { hasText: awkwardStream }).waitFor();
    expect(await column('#stream-events', 4)).toEqual(['AccountOpened', 'Deposited']);

    await page.goto(`${explorer.url}/?stream=Account-a-1&event=3`);
    await page.locator('#stream-events tr.current').waitFor();
    expect(await page.locator('#stream-events tr.current td:nth-child(1)').innerText()).toBe('3');
    expect(await page.locator('#stream-events tr[aria-current="true"]').count()).toBe(1);
    // An event's version is a link to it: a new tab opens the same view.
    const href = await page.locator('#stream-events tbody tr').nth(1).locator('a').getAttribute('href');
    expect(href).toBe('/?stream=Account-a-1&event=2');

    await page.goto(`${explorer.url}/?stream=Account-a-1&at=2`);
    await page.locator('#state-summary', { hasText: 'at version 2 of 4' }).waitFor();
    expect(JSON.parse(await text('#state-json'))).toEqual({ status: 'open', owner: 'Ada', balance: 10 });
    expect(await page.locator('#state-at').inputValue()).toBe('2');

    await page.goto(`${explorer.url}/?tab=log&types=AccountClosed`);
    await page.locator('#log tbody tr').first().waitFor();
    expect(await column('#log', 1)).toEqual(['7']);
    expect(await page.locator('#log-types').inputValue()).toBe('AccountClosed');
  });

  it('finds streams by id prefix', async () => {
    await page.goto(explorer.url);
    await page.locator('#streams-prefix').fill('Account-a');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/prefix=Account-a/);
    await page.locator('#streams tbody tr').nth(1).waitFor();
    expect(await column('#streams', 1)).toEqual(['Account-a-1', 'Account-a-2']);
    await page.goto(`${explorer.url}/?prefix=audit`);
    await page.locator('#streams tbody tr', { hasText: 'audit-1' }).waitFor();
    expect(await column('#streams', 1)).toEqual(['audit-1']);
    expect(await page.locator('#streams-prefix').inputValue()).toBe('audit');
  });

  it('answers through a forwarded port (ssh -L), the Host naming localhost and another port', async () => {
    const target = Number(new URL(explorer.url).port);
    const sockets = new Set<Socket>();
    const forward = createServer((socket) => {
      const upstream = connect(target, '127.0.0.1');
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => forward.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = forward.address() as AddressInfo;
      const other = await browser.newPage();
      try {
        await other.goto(`http://localhost:${port}/?stream=Account-a-1`);
        await other.locator('#stream-title', { hasText: 'Account-a-1' }).waitFor();
        expect(await other.locator('#head').innerText()).toBe('10');
      } finally {
        await other.close();
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => forward.close(() => resolve()));
    }
  });

  it('shows closed, archived and deleted streams with badges, in the list and on the stream', async () => {
    const storage = createSqliteStorage({ path: join(folder.path, 'events.db') });
    try {
      const app = createEventStore({ storage, events: [Account] });
      await app.closeStream('Account-a-2', { reason: 'moved' });
      await app.archiveStream('Account-a-2');
      await app.deleteStream('audit-1');
    } finally {
      await storage.close();
    }
    await page.goto(`${explorer.url}/`);
    await page.locator('#streams .badge-deleted').waitFor();
    const badges = async (selector: string) =>
      page.locator(selector).evaluateAll((spans) => spans.map((span) => span.textContent));
    expect(await badges('#streams tbody tr:has(a[data-stream-id="Account-a-2"]) .badge')).toEqual([
      'closed',
      'archived',
    ]);
    expect(await badges('#streams tbody tr:has(a[data-stream-id="audit-1"]) .badge')).toEqual(['deleted']);
    await page.goto(`${explorer.url}/?stream=audit-1`);
    await page.locator('#stream-title .badge-deleted').waitFor();
    expect(await column('#stream-events', 4)).toEqual(['$StreamDeleted']);
  });

  it('shows a row per partition of a running partitioned consumer, with its owner, position and lag', async () => {
    const storage = createSqliteStorage({ path: join(folder.path, 'events.db') });
    const split = createSubscription(createEventStore({ storage, events: [Account] }), {
      name: 'split',
      partitions: 2,
      lease: { owner: 'app-3', ttlMs: 60_000 },
      handle: () => undefined,
    });
    try {
      await split.start();
      await split.waitUntilCaughtUp();
      const head = (await split.status()).head;
      await page.goto(`${explorer.url}/`);
      for (const index of [0, 1]) {
        const row = page.locator(`#consumers tr[data-consumer="subscription:split#p${index}/2"]`);
        await row.waitFor();
        expect((await row.locator('td').allInnerTexts()).slice(0, 5)).toEqual([
          `subscription:split#p${index}/2`,
          'running',
          String(head),
          '0',
          'app-3',
        ]);
      }
    } finally {
      await split.stop();
      await storage.close();
    }
  });

  it('marks an event that does not fit its current schema', async () => {
    // Last, since it adds an event: stored as an older release might have, refused by today's schema.
    const storage = createSqliteStorage({ path: join(folder.path, 'events.db') });
    await storage.append({
      streamId: 'Account-bad',
      streamType: 'Account',
      expectedVersion: 'no_stream',
      events: [{ eventId: crypto.randomUUID(), type: 'Deposited', data: { amount: -3 }, metadata: {} }],
    });
    await storage.close();
    await page.goto(`${explorer.url}/?stream=Account-bad`);
    await page.locator('#stream-title', { hasText: 'Account-bad' }).waitFor();
    const badge = page.locator('#stream-events tbody tr td:nth-child(4) .badge-invalid');
    await badge.waitFor();
    expect(await badge.innerText()).toBe('does not fit');
    expect(await badge.getAttribute('title')).toContain('field "amount": ');
  });

  it('ran without script errors or blocked resources', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(skip)('explore: a long stream, and a narrow window, in Chromium', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let explorer: StartedExplorer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    folder = temporaryFolder();
    const file = join(folder.path, 'events.db');
    await seedExplorerStore(file);
    const storage = createSqliteStorage({ path: file });
    const accounts = createRepository(createEventStore({ storage, events: [Account] }), Account);
    // 250 events: pages of 100 hold versions 1–100, 101–200 and 201–250.
    await accounts.execute('long', (account) => {
      let next = account.open({ owner: 'Lee' });
      for (let index = 0; index < 249; index += 1) next = next.deposit({ amount: 1 });
      return next;
    });
    await storage.close();
    explorer = await startExplore(['--file', file, '--config', configModule]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await explorer?.stop();
    folder?.remove();
  });

  async function openPage(width: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 740 } });
    page.on('pageerror', (error) => problems.push(error.message));
    return page;
  }

  it('jumps to the last and the first page of a long stream, and back', async () => {
    const page = await openPage(1280);
    try {
      const range = page.locator('#stream-range');
      const firstVersion = () => page.locator('#stream-events tbody tr td:nth-child(1)').first().innerText();
      await page.goto(`${explorer.url}/?stream=Account-long`);
      await page.locator('#stream-range', { hasText: 'versions 1–100 of 250' }).waitFor();
      expect(await page.locator('#stream-first').isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Last' }).click();
      await page.locator('#stream-range', { hasText: 'versions 201–250 of 250' }).waitFor();
      expect(await firstVersion()).toBe('201');
      expect(await page.locator('#stream-events tbody tr').count()).toBe(50);
      expect(await page.locator('#stream-last').isDisabled()).toBe(true);
      expect(await page.locator('#stream-next').isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Previous' }).last().click();
      await page.locator('#stream-range', { hasText: 'versions 101–200 of 250' }).waitFor();
      await page.getByRole('button', { name: 'First' }).click();
      await page.locator('#stream-range', { hasText: 'versions 1–100 of 250' }).waitFor();
      await page.goBack();
      await page.locator('#stream-range', { hasText: 'versions 101–200 of 250' }).waitFor();
      expect(new URL(page.url()).searchParams.get('from')).toBe('101');
      // A link to an event deep in the stream opens the page that holds it.
      await page.goto(`${explorer.url}/?stream=Account-long&event=180`);
      await page.locator('#stream-range', { hasText: 'versions 101–200 of 250' }).waitFor();
      expect(await page.locator('#stream-events tr.current td:nth-child(1)').innerText()).toBe('180');
      expect(await range.innerText()).toBe('versions 101–200 of 250');
    } finally {
      await page.close();
    }
  });

  it('fits a 375 px wide window: one column, nothing wider than the window', async () => {
    const page = await openPage(375);
    try {
      await page.goto(`${explorer.url}/?stream=Account-a-1`);
      await page.locator('#stream-events tbody tr').nth(3).waitFor();
      const pageWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
      expect(pageWidth).toBeLessThanOrEqual(375);
      const list = await page.locator('#streams').boundingBox();
      const stream = await page.locator('#stream').boundingBox();
      expect(list).not.toBeNull();
      expect(stream).not.toBeNull();
      // Stacked: the stream comes below the list instead of beside it.
      expect((stream?.y ?? 0) >= (list?.y ?? 0) + (list?.height ?? 0)).toBe(true);
      expect((stream?.x ?? 0) + (stream?.width ?? 0)).toBeLessThanOrEqual(375);
      await page.locator('#streams-prefix').fill('Account-a');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.locator('#streams tbody tr').nth(1).waitFor();
      expect(await page.locator('#streams tbody tr').count()).toBe(2);
    } finally {
      await page.close();
    }
  });

  it('ran without script errors', () => {
    expect(problems).toEqual([]);
  });
});

/** What the application did before the explorer opened: a subscription gave up, a listener dead-lettered. */
async function failSomeConsumers(storage: EventStorage<unknown>): Promise<void> {
  const app = createEventStore({ storage, events: [Account], validateOnRead: false });
  const fast = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };
  const audit = createSubscription(app, {
    name: 'audit',
    ...fast,
    handle: (event) => {
      if (event.type === 'Deposited') throw new Error('audit table missing');
    },
  });
  await audit.start();
  await audit.waitUntilCaughtUp().catch(() => undefined);
  await audit.stop();
  mailbox.down = true;
  const mailer = createListenerRunner(app, Mailer, fast);
  await mailer.start();
  await mailer.waitUntilCaughtUp();
  await mailer.stop();
}
