import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSqliteStorage } from '@hindsight/sqlite';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configModule, type Seeded, temporaryFolder } from '../test-support/cli-harness.js';
import {
  awkwardStream,
  type StartedExplorer,
  seedExplorerStore,
  startExplore,
} from '../test-support/explorer-harness.js';

// Debian's Chromium: CI installs it (.ci/run). There its absence is a failure; on a developer's
// machine without it the test is skipped, saying so.
const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const skip = !hasChromium && !inCi;
if (skip) {
  console.warn(`explorer browser test skipped: no ${chromiumPath} (apt-get install chromium to run it)`);
}

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
    if (!hasChromium) throw new Error(`Chromium is missing at ${chromiumPath}: CI must install it (.ci/run)`);
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
          data: { note: '<img src=x onerror=alert(1)>' },
          metadata: {},
        },
      ],
    });
    await storage.close();
    explorer = await startExplore(['--file', file, '--config', configModule]);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
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
    expect(await page.locator('#consumers tbody tr').allInnerTexts()).toEqual(['balances\t4\t6']);
  });

  it("shows a stream's events when it is clicked, data as pretty JSON", async () => {
    await page.getByRole('button', { name: 'Account-a-1', exact: true }).click();
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
    await page.getByRole('button', { name: awkwardStream, exact: true }).click();
    await page.locator('#stream-title', { hasText: awkwardStream }).waitFor();
    expect(await column('#stream-events', 4)).toEqual(['AccountOpened', 'Deposited']);
    await page.locator('#state-at').fill('');
    await page.getByRole('button', { name: 'Show state' }).click();
    await page.locator('#state-summary', { hasText: 'at version 2 of 2' }).waitFor();
    expect(JSON.parse(await text('#state-json'))).toEqual({ status: 'open', owner: 'Quinn', balance: 3 });
  });

  it('shows markup from the store as text', async () => {
    await page.getByRole('button', { name: markupStream, exact: true }).click();
    await page.locator('#stream-title', { hasText: markupStream }).waitFor();
    expect(await text('#stream-title')).toBe(markupStream);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(JSON.parse(await text('#stream-events tbody pre'))).toEqual({
      note: '<img src=x onerror=alert(1)>',
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

  it('ran without script errors or blocked resources', () => {
    expect(problems).toEqual([]);
  });
});
