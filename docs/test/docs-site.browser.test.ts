import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../../test-support/chromium.js';
import { buildSite, type ServedSite, serveSite } from './build-site.js';

const skip = skipWithoutChromium('docs site browser test');

describe.skipIf(skip)('the documentation site in Chromium', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'hindsight-docs-'));
  let site: ServedSite;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await buildSite(outDir);
    site = await serveSite(outDir);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    // Nothing leaves the machine: a request elsewhere is an error the test reports.
    await page.route(
      (url) => !url.href.startsWith(site.url),
      (route) => {
        problems.push(`request outside the site: ${route.request().url()}`);
        return route.abort();
      },
    );
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  /** Waits for the page's title heading to read `text` (client-side navigation renders after the URL changes). */
  const heading = async (text: string) => {
    const h1 = page.locator('.vp-doc h1', { hasText: text });
    await h1.first().waitFor();
    // Without the permalink VitePress appends (a zero-width space).
    return (await h1.first().innerText()).replace(/\u200b/g, '').trim();
  };
  const sidebarLink = (name: string) => page.locator('.VPSidebar').getByRole('link', { name, exact: true });

  it('opens on the home page and gets to the first guide', async () => {
    await page.goto(site.url);
    expect(await page.title()).toBe('Hindsight');
    expect(await page.locator('.VPHero .name').innerText()).toBe('Hindsight');
    await page.getByRole('link', { name: 'Get started' }).click();
    await page.waitForURL(`${site.url}/guide/getting-started`);
    expect(await heading('Getting started')).toBe('Getting started');
    expect(await page.title()).toBe('Getting started | Hindsight');
  });

  it('follows the sidebar and the next-page link through the guides', async () => {
    await sidebarLink('Aggregates and commands').click();
    await page.waitForURL(/\/guide\/aggregates$/);
    expect(await heading('Aggregates and commands')).toBe('Aggregates and commands');
    // Snippets are highlighted code, not raw markers.
    expect(await page.locator('.vp-doc div[class*="language-ts"]').count()).toBeGreaterThan(5);

    await page.locator('.VPDocFooter .pager-link.next').click();
    await page.waitForURL(/\/guide\/projections$/);
    expect(await heading('Projections')).toBe('Projections');
    expect(await sidebarLink('Process managers').count()).toBe(1);
  });

  it('reaches the generated error codes page and the API reference', async () => {
    await page.locator('.VPNavBar').getByRole('link', { name: 'Error codes' }).click();
    await page.waitForURL(/\/reference\/errors$/);
    expect(await heading('Error codes')).toBe('Error codes');
    expect(await page.locator('.vp-doc h2', { hasText: 'CONCURRENCY_CONFLICT' }).count()).toBe(1);

    await page.locator('.VPNavBar').getByRole('link', { name: 'API' }).click();
    await page.waitForURL(/\/api\/$/);
    expect(await heading('API reference')).toBe('API reference');
    await page.locator('.vp-doc').getByRole('link', { name: '@hindsight/core', exact: true }).click();
    await page.waitForURL(/\/api\/@hindsight\/core\/$/);
    expect(await heading('@hindsight/core')).toBe('@hindsight/core');

    await page.locator('.vp-doc').getByRole('link', { name: 'createEventStore', exact: true }).click();
    await page.waitForURL(/\/api\/@hindsight\/core\/functions\/createEventStore$/);
    expect(await heading('createEventStore')).toBe('Function: createEventStore()');
    expect(await page.locator('.vp-doc').innerText()).toContain('Creates a typed event store');
  });

  it('loaded every page without a script error or an outside request', () => {
    expect(problems).toEqual([]);
  });
});
