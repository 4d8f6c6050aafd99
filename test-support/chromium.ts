// Debian's Chromium, driven by playwright-core (which downloads no browser here). CI installs it
// (.ci/run), so there its absence fails the run; on a developer's machine without it the browser
// suites are skipped, saying so.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { inCi } from './test-servers.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);

/** Whether the browser suite named `suite` is skipped on this machine (warns once when it is). */
export function skipWithoutChromium(suite: string): boolean {
  const skip = !hasChromium && !inCi();
  if (skip) console.warn(`${suite} skipped: no ${chromiumPath} (apt-get install chromium to run it)`);
  return skip;
}

/** A headless Chromium without the background traffic a sandboxed machine cannot serve. */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium) throw new Error(`Chromium is missing at ${chromiumPath}: CI must install it (.ci/run)`);
  return chromium.launch({
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
}
