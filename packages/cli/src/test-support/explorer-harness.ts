import { createEventStore, createRepository } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { Account } from './account.js';
import { Captured, type CliResult, cli, type Seeded, seed, waitFor } from './cli-harness.js';

/** An account id that needs encoding in a URL path: a slash, a double quote and a space. */
export const awkwardId = 'x/"q" 1';
export const awkwardStream = `Account-${awkwardId}`;

/**
 * {@link seed}'s history (positions 1–7, checkpoint "balances" at 4), then account `awkwardId`
 * opened with a deposit of 3 (positions 8 and 9).
 */
export async function seedExplorerStore(file: string): Promise<Seeded> {
  const storage = createSqliteStorage({ path: file });
  try {
    const seeded = await seed(storage);
    const accounts = createRepository(createEventStore({ storage, events: [Account] }), Account);
    await accounts.execute(awkwardId, (account) => account.open({ owner: 'Quinn' }).deposit({ amount: 3 }));
    return seeded;
  } finally {
    await storage.close();
  }
}

/** A running `hindsight explore --json --port 0 …`. */
export interface StartedExplorer {
  readonly url: string;
  /** Aborts the command's signal and resolves with how it ended. */
  stop(): Promise<CliResult>;
}

export async function startExplore(
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<StartedExplorer> {
  const controller = new AbortController();
  const stdout = new Captured();
  const finished = cli(['explore', '--json', '--port', '0', ...args], {
    stdout,
    signal: controller.signal,
    ...options,
  });
  let ended: CliResult | undefined;
  void finished.then((result) => {
    ended = result;
  });
  await waitFor(() => stdout.text.includes('\n') || ended !== undefined);
  if (ended !== undefined) throw new Error(`explore ended at once: ${JSON.stringify(ended)}`);
  const { url } = JSON.parse(stdout.text) as { url: string };
  return {
    url,
    stop() {
      controller.abort();
      return finished;
    },
  };
}
