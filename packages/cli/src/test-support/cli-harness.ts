import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createEventStore, createRepository, type EventStorage } from '@hindsight/core';
import { type CliIo, run } from '../run.js';
import { Account } from './account.js';

/** What one run of the CLI printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects what the CLI writes. */
export class Captured {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  once(): this {
    return this;
  }
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
  readonly signal?: AbortSignal;
  readonly stdout?: Captured;
  readonly cwd?: string;
}

/** Runs `hindsight …argv` in-process. */
export async function cli(argv: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = options.stdout ?? new Captured();
  const stderr = new Captured();
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(options.stdin)]) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const code = await run(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Parses NDJSON output. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function temporaryFolder(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'hindsight-cli-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const configModule = join(import.meta.dirname, 'hindsight.config.ts');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(10);
  }
}

/** What {@link seed} wrote: the instant between the first and second batch of commands. */
export interface Seeded {
  /** After a-1 opened with one deposit (version 2) and b-1 opened (version 1); before the rest. */
  readonly between: Date;
}

/**
 * Writes a small history: accounts a-1 (4 events), a-2 (2) and b-1 (1, another stream type would
 * need another aggregate, so a plain stream type "Audit"), and a checkpoint 3 behind the head.
 */
export async function seed(storage: EventStorage<unknown>): Promise<Seeded> {
  const store = createEventStore({ storage, events: [Account] });
  const accounts = createRepository(store, Account);
  await accounts.execute('a-1', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 10 }), {
    metadata: { actorId: 'teller-1' },
  });
  await store.appendPrepared({
    streamId: 'audit-1',
    streamType: 'Audit',
    expectedVersion: 'no_stream',
    events: [{ eventId: crypto.randomUUID(), type: 'Reviewed', data: { ok: true }, metadata: {} }],
  });
  await sleep(30);
  const between = new Date();
  await sleep(30);
  await accounts.execute('a-1', 'deposit', { amount: 5 });
  await accounts.execute('a-2', (account) => account.open({ owner: 'Bob' }).deposit({ amount: 1 }));
  await accounts.execute('a-1', 'close', { reason: 'moved' });
  await storage.saveCheckpoint('balances', 4);
  return { between };
}
