import { type ChildProcess, fork } from 'node:child_process';
import { expect } from 'vitest';
import { sleep } from './events.js';

/** A forked fixture process, its exit and the messages it sent. */
export interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly messages: { kind: string; partitions?: unknown }[];
}

/** The fixture processes still running, for an `afterAll` to kill. */
export const runningWorkers = new Set<ChildProcess>();

/** Forks the fixture at `path` with its options as JSON in its first argument. */
export function startWorker(path: string, options: Record<string, unknown>): Worker {
  const child = fork(path, [JSON.stringify(options)], {
    // Not vitest's flags: they would resolve the packages to their TypeScript sources.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  runningWorkers.add(child);
  const messages: Worker['messages'] = [];
  child.on('message', (message) => messages.push(message as Worker['messages'][number]));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      runningWorkers.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, messages };
}

/** Resolves once the worker says it started (Node's start-up alone takes a while). */
export async function started(worker: Worker): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!worker.messages.some((message) => message.kind === 'started')) {
    if (Date.now() > deadline) throw new Error('a worker did not start within 20 s');
    await sleep(10);
  }
}

/**
 * Runs `instances` fixture processes (`w0`, `w1`…) and SIGKILLs one at random `kills` times,
 * replacing it under a new name (the dead one's partitions wait for its leases to lapse); returns
 * the processes left running.
 */
export async function killAtRandom(
  path: string,
  options: Record<string, unknown>,
  run: { readonly instances: number; readonly kills: number; readonly random: () => number },
): Promise<Worker[]> {
  let generation = 0;
  const next = () => startWorker(path, { ...options, worker: `w${generation++}` });
  const workers = Array.from({ length: run.instances }, next);
  for (const worker of workers) await started(worker);
  for (let kill = 0; kill < run.kills; kill += 1) {
    // Long enough for the instances to rebalance and handle pages between kills.
    await sleep(300 + run.random() * 700);
    const slot = Math.floor(run.random() * run.instances);
    const victim = workers[slot];
    if (victim === undefined) continue;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const replacement = next();
    workers[slot] = replacement;
    await started(replacement);
  }
  return workers;
}

/** SIGKILLs the workers left, then runs one more until it has caught up and exits cleanly. */
export async function killAllThenCatchUp(
  path: string,
  options: Record<string, unknown>,
  workers: readonly Worker[],
): Promise<void> {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
  const last = startWorker(path, { ...options, worker: 'last', untilCaughtUp: true });
  expect(await last.exited).toEqual({ code: 0, signal: null });
  expect(last.messages.map((message) => message.kind)).toContain('caught-up');
}
