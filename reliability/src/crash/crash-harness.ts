import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '@hindsight/core';
import { expect } from 'vitest';
import { createRandom, expectConsistentLog, sleep } from '../support/events.js';
import type { Figures } from '../support/results.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workerPath = fileURLToPath(new URL('../../fixtures/crash-worker.mjs', import.meta.url));

/**
 * Builds the packages the child processes import, as `npm run build` would: the children run the
 * built `dist` through the packages' names, since Node 20 cannot run TypeScript.
 */
export async function buildPackages(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = (): void => {
    execFileSync(
      process.execPath,
      [tsc, '-b', 'packages/core', 'packages/sqlite', 'packages/postgres', 'packages/nats'],
      {
        cwd: repositoryRoot,
        stdio: 'inherit',
      },
    );
  };
  // Another test file may be building the same packages at this moment (the SQLite package's
  // multi-process test does): a build that failed on half-written output is tried again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      build();
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(3_000);
    }
  }
}

/** The projection's consumer id (see `projectionCheckpointId`): version 1, never rebuilt here. */
export const checkpointId = 'projection:totals@1';

export interface ReadModel {
  readonly totals: ReadonlyMap<string, { total: number; events: number; lastVersion: number }>;
  /** One row per application of an event, in the order applied. */
  readonly applied: readonly { position: number; eventId: string }[];
  readonly anomalies: readonly string[];
}

export interface CrashBackend {
  readonly name: string;
  /** What the worker needs to open the same store (`path`, or `url` and `schema`). */
  readonly workerOptions: Record<string, unknown>;
  readLog(): Promise<StoredEvent[]>;
  readModel(): Promise<ReadModel>;
  /** A consumer's checkpoint: the projection's (`checkpointId`) or the process manager's. */
  loadCheckpoint(consumerId: string): Promise<number | undefined>;
}

type WorkerMessage =
  | { readonly kind: 'ack'; readonly eventIds: readonly string[] }
  /** From the broken projector: it committed an event's effect and not yet its checkpoint. */
  | { readonly kind: 'between-commits' }
  /** `pending`: commands a process manager found committed and not yet sent by its predecessor. */
  | { readonly kind: 'started'; readonly pending?: number }
  /** From a process manager: its state (steps) per instance, and commands left unsent. */
  | {
      readonly kind: 'caught-up';
      readonly states?: Readonly<Record<string, number>>;
      readonly pending?: number;
    };

interface Worker {
  readonly role: 'writer' | 'projector' | 'process';
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Kills whatever a failed test left running. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
}

function startWorker(
  backend: CrashBackend,
  options: Record<string, unknown>,
  onMessage: (message: WorkerMessage) => void,
): Worker {
  const child = fork(
    workerPath,
    [JSON.stringify({ backend: backend.name, ...backend.workerOptions, ...options })],
    {
      // Not vitest's flags: they would resolve the packages to their TypeScript sources.
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  running.add(child);
  child.on('message', (message) => onMessage(message as WorkerMessage));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { role: options.role as Worker['role'], child, exited };
}

/**
 * Two writer processes append while a projector process runs the async projection; every
 * 50–600 ms one of them (mostly the projector) is SIGKILLed and started again. Then one last
 * projector catches up. The read model must equal a replay of the log, every event applied
 * exactly once and in stream order, and every acknowledged append must be in the log.
 */
export async function runCrashScenario(
  backend: CrashBackend,
  kills: number,
  options: { readonly seed?: number; readonly brokenProjector?: boolean } = {},
): Promise<Figures> {
  const random = createRandom(options.seed ?? Date.now());
  const projectorOptions = { role: 'projector', broken: options.brokenProjector === true };
  const acknowledged = new Set<string>();
  let appendsAcknowledged = 0;
  // The broken projector is killed where it does damage, between its two commits: a kill timed at
  // random could land while it starts (most of the time on a loaded machine) and prove nothing.
  let betweenCommits: (() => void) | undefined;
  const onMessage = (message: WorkerMessage): void => {
    if (message.kind === 'between-commits') betweenCommits?.();
    if (message.kind !== 'ack') return;
    appendsAcknowledged += 1;
    for (const eventId of message.eventIds) acknowledged.add(eventId);
  };
  const writers = [0, 1].map((worker) => startWorker(backend, { role: 'writer', worker }, onMessage));
  let projector = startWorker(backend, projectorOptions, onMessage);
  let projectorKills = 0;
  let writerKills = 0;

  for (let kill = 0; kill < kills; kill += 1) {
    if (options.brokenProjector === true) {
      await new Promise<void>((resolve) => {
        betweenCommits = resolve;
      });
      betweenCommits = undefined;
    } else {
      await sleep(50 + random() * 550);
    }
    const hitProjector = options.brokenProjector === true || random() < 0.7;
    const index = Math.floor(random() * writers.length);
    const victim = hitProjector ? projector : (writers[index] as Worker);
    victim.child.kill('SIGKILL');
    // Killed by us, not crashed by itself.
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    if (hitProjector) {
      projectorKills += 1;
      projector = startWorker(backend, projectorOptions, onMessage);
    } else {
      writerKills += 1;
      writers[index] = startWorker(backend, { role: 'writer', worker: index }, onMessage);
    }
  }
  for (const worker of [...writers, projector]) {
    worker.child.kill('SIGKILL');
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
  }

  let caughtUp = false;
  const last = startWorker(backend, { ...projectorOptions, untilCaughtUp: true }, (message) => {
    if (message.kind === 'caught-up') caughtUp = true;
  });
  expect(await last.exited).toEqual({ code: 0, signal: null });
  expect(caughtUp).toBe(true);

  const log = await backend.readLog();
  expectConsistentLog(log);
  const logged = new Set(log.map((event) => event.eventId));
  const lost = [...acknowledged].filter((eventId) => !logged.has(eventId));
  expect(lost).toEqual([]);

  const projected = log.filter((event) => event.streamType === 'Counter');
  const model = await backend.readModel();
  expect(model.anomalies).toEqual([]);
  // Every event applied exactly once, in global order.
  expect(model.applied.map((row) => row.position)).toEqual(projected.map((event) => event.position));
  expect(model.applied.map((row) => row.eventId)).toEqual(projected.map((event) => event.eventId));
  // The read model equals a full replay.
  const replay = new Map<string, { total: number; events: number; lastVersion: number }>();
  for (const event of projected) {
    const current = replay.get(event.streamId) ?? { total: 0, events: 0, lastVersion: 0 };
    const amount = (event.data as { amount: number }).amount;
    replay.set(event.streamId, {
      total: current.total + (event.type === 'Added' ? amount : -amount),
      events: current.events + 1,
      lastVersion: event.version,
    });
  }
  expect(new Map([...model.totals].sort())).toEqual(new Map([...replay].sort()));
  // The checkpoint is at the last projected event, or past events of other stream types after it.
  const checkpoint = (await backend.loadCheckpoint(checkpointId)) ?? 0;
  expect(checkpoint).toBeGreaterThanOrEqual(projected.at(-1)?.position ?? 0);
  expect(checkpoint).toBeLessThanOrEqual(log.at(-1)?.position ?? 0);

  const appliedTwice = model.applied.length - new Set(model.applied.map((row) => row.position)).size;
  return {
    kills: projectorKills + writerKills,
    projectorKills,
    writerKills,
    appendsAcknowledged,
    events: log.length,
    eventsProjected: projected.length,
    lost: lost.length,
    duplicated: appliedTwice + (log.length - logged.size),
  };
}

/** The process manager's consumer id (`process:<name>`). */
export const processCheckpointId = 'process:tallying';

// The namespace of the ids Hindsight derives (UUID v5), as in core's deterministic-id.ts.
const idNamespace = Buffer.from('3b1f7a529c4e4d0a8e612fd407b395c8', 'hex');

/**
 * The id a process manager gives event `eventIndex` of command `commandIndex` of the step for
 * `triggerId`: derived from the process name, the trigger and the indexes, so a resend appends
 * the same ids (see createProcessManager).
 */
export function commandEventId(process: string, triggerId: string, commandIndex = 0, eventIndex = 0): string {
  const hash = createHash('sha1')
    .update(idNamespace)
    .update(`${process}/${triggerId}/${commandIndex}/${eventIndex}`)
    .digest()
    .subarray(0, 16);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Two paced writer processes append Counter events while a process-manager worker runs the
 * `tallying` process (see crash-worker.mjs): each Counter event's step sends a command that always
 * emits one `Counted` event. Every 20–400 ms after the worker started, it is SIGKILLed and started
 * again; then one last worker runs to completion. Every Counter event must have exactly one effect
 * (by causation id, with the deterministic id), none missing, none twice; the process state must
 * count each step once; nothing is left unsent; the checkpoint is at the head.
 */
export async function runProcessCrashScenario(
  backend: CrashBackend,
  kills: number,
  options: { readonly seed?: number; readonly broken?: boolean } = {},
): Promise<Figures> {
  const random = createRandom(options.seed ?? Date.now());
  const processOptions = { role: 'process', broken: options.broken === true };
  const acknowledged = new Set<string>();
  let appendsAcknowledged = 0;
  let commandsPendingAtRestart = 0;
  let started: () => void = () => undefined;
  const onMessage = (message: WorkerMessage): void => {
    if (message.kind === 'started') {
      commandsPendingAtRestart += message.pending ?? 0;
      started();
    }
    if (message.kind !== 'ack') return;
    appendsAcknowledged += 1;
    for (const eventId of message.eventIds) acknowledged.add(eventId);
  };
  const startProcess = async (): Promise<Worker> => {
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const worker = startWorker(backend, processOptions, onMessage);
    // Started, or died trying (the exit is then checked by the caller).
    await Promise.race([running, worker.exited]);
    return worker;
  };
  // Paced, so the process manager (three commits per event) keeps up and the last run is short.
  const writers = [0, 1].map((worker) =>
    startWorker(backend, { role: 'writer', worker, paceMs: 8 }, onMessage),
  );
  let manager = await startProcess();

  for (let kill = 0; kill < kills; kill += 1) {
    await sleep(20 + random() * 380);
    manager.child.kill('SIGKILL');
    // Killed by us, not crashed by itself.
    expect(await manager.exited).toEqual({ code: null, signal: 'SIGKILL' });
    manager = await startProcess();
  }
  for (const worker of [...writers, manager]) {
    worker.child.kill('SIGKILL');
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
  }

  let final: Extract<WorkerMessage, { kind: 'caught-up' }> | undefined;
  const last = startWorker(backend, { ...processOptions, untilCaughtUp: true }, (message) => {
    if (message.kind === 'caught-up') final = message;
  });
  expect(await last.exited).toEqual({ code: 0, signal: null });
  expect(final).toBeDefined();

  const log = await backend.readLog();
  expectConsistentLog(log);
  const logged = new Set(log.map((event) => event.eventId));
  const lost = [...acknowledged].filter((eventId) => !logged.has(eventId));
  expect(lost).toEqual([]);

  const triggers = log.filter((event) => event.streamType === 'Counter');
  const effects = log.filter((event) => event.streamType === 'Tally');
  const effectsByTrigger = new Map<string, StoredEvent[]>();
  for (const effect of effects) {
    const cause = String(effect.metadata.causationId);
    effectsByTrigger.set(cause, [...(effectsByTrigger.get(cause) ?? []), effect]);
  }
  const missing = triggers.filter((event) => !effectsByTrigger.has(event.eventId));
  const twice = [...effectsByTrigger.values()].filter((list) => list.length > 1);
  const duplicated = twice.reduce((total, list) => total + list.length - 1, 0);
  const triggerIds = new Set(triggers.map((event) => event.eventId));
  const strays = effects.filter((effect) => !triggerIds.has(String(effect.metadata.causationId)));
  expect({ missing: missing.length, duplicated, strays: strays.length }).toEqual({
    missing: 0,
    duplicated: 0,
    strays: 0,
  });
  // Each effect is the one its trigger's step issued: its id derived from it, its payload and
  // stream naming it, its correlation carried over.
  const byId = new Map(triggers.map((event) => [event.eventId, event]));
  const wrong = effects.filter((effect) => {
    const trigger = byId.get(String(effect.metadata.causationId)) as StoredEvent;
    const data = effect.data as { trigger: string; position: number };
    return (
      effect.type !== 'Counted' ||
      effect.eventId !== commandEventId('tallying', trigger.eventId) ||
      data.trigger !== trigger.eventId ||
      data.position !== trigger.position ||
      effect.streamId !== `Tally-${trigger.streamId}.${Math.floor((trigger.version - 1) / 50)}` ||
      effect.metadata.correlationId !== (trigger.metadata.correlationId ?? trigger.eventId) ||
      effect.position < trigger.position
    );
  });
  expect(wrong.map((effect) => effect.eventId)).toEqual([]);
  // The process state counted each step once; nothing is left to send.
  const steps = new Map<string, number>();
  for (const event of triggers) steps.set(event.streamId, (steps.get(event.streamId) ?? 0) + 1);
  expect(new Map(Object.entries(final?.states ?? {}).sort())).toEqual(new Map([...steps].sort()));
  expect(final?.pending).toBe(0);
  // The checkpoint is at the head: past the last Counter event (or past events of other stream
  // types after it, the runner skipping them), never past the log.
  const checkpoint = (await backend.loadCheckpoint(processCheckpointId)) ?? 0;
  expect(checkpoint).toBeGreaterThanOrEqual(triggers.at(-1)?.position ?? 0);
  expect(checkpoint).toBeLessThanOrEqual(log.at(-1)?.position ?? 0);

  return {
    kills,
    appendsAcknowledged,
    events: log.length,
    steps: triggers.length,
    effects: effects.length,
    commandsPendingAtRestart,
    lost: lost.length + missing.length,
    duplicated: duplicated + (log.length - logged.size),
  };
}
