import { type ChildProcess, fork } from 'node:child_process';
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
