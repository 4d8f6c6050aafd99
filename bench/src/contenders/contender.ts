/** The event every contender writes: the same payload, so the stores do the same work. */
export interface BenchEvent {
  readonly type: 'Deposited';
  readonly data: { readonly amount: number; readonly note: string; readonly seq: number };
}

/** The state every contender folds from an account's events. */
export interface AccountState {
  readonly balance: number;
  readonly count: number;
}

export const initialAccount = (): AccountState => ({ balance: 0, count: 0 });

export const evolveAccount = (state: AccountState, event: { readonly data: BenchEvent['data'] }) => ({
  balance: state.balance + event.data.amount,
  count: state.count + 1,
});

/** A deposit of `amount`; `seq` identifies it for latency measurements. */
export function deposit(seq: number, amount = 1): BenchEvent {
  return { type: 'Deposited', data: { amount, note: 'benchmark deposit payload', seq } };
}

/** The stream an account lives in, for every contender. */
export const accountStream = (id: string): string => `Account-${id}`;

/** One account's change from a page of deposits: what a read model upserts. */
export interface BalanceDelta {
  readonly account: string;
  readonly amount: number;
  readonly events: number;
}

/** Sums a page's deposits per account, so a page becomes one row per account. */
export function balanceDeltas(
  events: readonly { readonly streamId: string; readonly data: BenchEvent['data'] }[],
): BalanceDelta[] {
  const byAccount = new Map<string, { amount: number; events: number }>();
  for (const event of events) {
    const delta = byAccount.get(event.streamId) ?? { amount: 0, events: 0 };
    delta.amount += event.data.amount;
    delta.events += 1;
    byAccount.set(event.streamId, delta);
  }
  return [...byAccount].map(([account, delta]) => ({ account, ...delta }));
}

/** The outcome of an append with an expected version. */
export type AppendOutcome =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly actualVersion: number | undefined };

/** What a catch-up read saw. */
export interface CatchUpResult {
  readonly events: number;
  readonly balance: number;
}

/**
 * One store under test, reduced to what the scenarios need. Every contender writes to its own
 * schema (or file) of the same database, through its own public API.
 */
export interface Contender {
  /** Stable key in results: `raw`, `hindsight`, `emmett`, `sqlite`. */
  readonly key: ContenderKey;
  /** What the table and chart show. */
  readonly label: string;
  /** Caveats printed with the results (e.g. which storage backs it). */
  readonly note?: string;
  /** Appends events to `Account-<id>`, expecting it at `expectedVersion` (0: no stream yet). */
  append(id: string, events: readonly BenchEvent[], expectedVersion: number): Promise<AppendOutcome>;
  /**
   * The raw floor only: the same append through `COPY … FROM STDIN`, the fastest way PostgreSQL
   * takes rows (scenario 3 reports it beside the statement floor).
   */
  appendByCopy?(id: string, events: readonly BenchEvent[], expectedVersion: number): Promise<AppendOutcome>;
  /**
   * The current version of an account stream (0 when it does not exist); `atLeast` is the last
   * version the caller knew, for stores that can only find out by reading.
   */
  streamVersion(id: string, atLeast: number): Promise<number>;
  /** Reads a whole stream; returns how many events were read. */
  readStream(id: string): Promise<number>;
  /**
   * Hindsight only: reads a whole stream through a catalog whose event type evolved once since
   * the events were written, so every event passes one upcaster; returns how many were read.
   */
  readStreamUpcast?(id: string): Promise<number>;
  /**
   * Runs one `deposit` command on the account through the store's repository with its default
   * settings (load, decide, append; retries on a conflict as it sees fit). Stores with aggregates only.
   */
  executeDeposit?(id: string): Promise<void>;
  /** Folds an account from all its events (no snapshots). */
  loadAggregate(id: string): Promise<AccountState>;
  /**
   * Reads the global log from the beginning to the current head, folding it; stops early once
   * `performance.now()` passes `deadline` (a time budget, so one slow store cannot stall a run).
   */
  catchUp(pageSize: number, deadline: number): Promise<CatchUpResult>;
  /**
   * Catches a fresh asynchronous projection up from the start of the log into a read-model table
   * of the same database (per account: balance and event count), each page's rows and its
   * checkpoint in one transaction; stops at the head or once `performance.now()` passes
   * `deadline`. `trial` names a table and checkpoint no earlier trial used. Returns the events the
   * read model holds, read back from it.
   */
  project?(trial: number, pageSize: number, deadline: number): Promise<CatchUpResult>;
  /**
   * Starts an asynchronous consumer from the current head; `onEvent` receives each new event's
   * `seq`. Resolves once the consumer is live; the returned function stops it.
   */
  subscribe(onEvent: (seq: number) => void): Promise<() => Promise<void>>;
  /** How the consumer above is woken, for the report. */
  readonly consumerNote: string;
  close(): Promise<void>;
}

export type ContenderKey = 'raw' | 'hindsight' | 'emmett' | 'sqlite';

/** A contender that also snapshots aggregates (Hindsight's storages). */
export interface SnapshottingContender extends Contender {
  /**
   * Seeds `Account-<id>` with `events` events through the aggregate repository's snapshot policy,
   * so a snapshot exists at the last multiple of the policy's interval.
   */
  seedSnapshotted(id: string, events: number): Promise<void>;
  /** Loads through the snapshot (then the events after it). */
  loadSnapshotted(id: string): Promise<AccountState>;
}

export function isSnapshotting(contender: Contender): contender is SnapshottingContender {
  return 'loadSnapshotted' in contender;
}
