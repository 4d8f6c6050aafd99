import { notifyAppendedStatement } from '../streams/notify-appended.js';
import type { Driver } from './driver.js';

const firstRetryMs = 100;
// Between two announcements: a busy writer then sends a few hundred NOTIFYs a second, not one per
// append, for at most this much more wake-up latency.
const announceGapMs = 2;
const maxRetryMs = 5_000;

/**
 * Fans out new heads to `onAppended` listeners, and announces this process's commits to others. Listens on the database channel only while
 * someone listens, so commits of other processes wake this one; re-listens with backoff when the
 * connection breaks, then reports the current head, since notifications sent meanwhile are lost.
 * Heads only move forward: a head already announced (say, by this process's own append, before
 * its notification arrives) is not announced again.
 */
export class AppendNotifier {
  readonly #listeners = new Set<(head: number) => void>();
  readonly #driver: Driver;
  readonly #channel: string;
  readonly #readHead: () => Promise<number>;
  readonly #onError: (error: unknown) => void;
  #head = 0;
  // Bumped whenever listening stops, so late results of an older listen are discarded.
  #generation = 0;
  #unlisten: (() => Promise<void>) | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #announced = 0;
  #toAnnounce = 0;
  #announcing: Promise<void> | undefined;

  constructor(args: {
    driver: Driver;
    channel: string;
    readHead: () => Promise<number>;
    onError: (error: unknown) => void;
  }) {
    this.#driver = args.driver;
    this.#channel = args.channel;
    this.#readHead = args.readHead;
    this.#onError = args.onError;
  }

  add(listener: (head: number) => void): () => void {
    this.#listeners.add(listener);
    // Commits between this call and LISTEN taking effect notify nobody: the read of the head once
    // it does finds them, so a listener added before reading the head never misses one.
    if (this.#listeners.size === 1) this.#listen(this.#generation);
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) {
        this.#stop().catch(this.#onError);
      }
    };
  }

  /** Announces `head` (a committed position) unless a later one was announced already. */
  publish(head: number): void {
    if (!(head > this.#head)) return;
    this.#head = head;
    for (const listener of [...this.#listeners]) {
      // A failing listener must neither starve the others nor fail the append that committed.
      try {
        listener(head);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /**
   * Tells other processes about a committed head with a NOTIFY of its own, after the append's
   * commit (never inside it: notifying transactions commit one at a time). One NOTIFY at a time,
   * a short gap between them: heads committed meanwhile coalesce into the next. A process that dies before announcing leaves
   * the others to find the events on their next poll: a wake-up is a hint, never the only way.
   */
  announce(head: number): void {
    if (!(head > this.#toAnnounce)) return;
    this.#toAnnounce = head;
    this.#announcing ??= this.#announceLoop().finally(() => {
      this.#announcing = undefined;
    });
  }

  async #announceLoop(): Promise<void> {
    while (this.#toAnnounce > this.#announced) {
      const head = this.#toAnnounce;
      try {
        await this.#driver.run(notifyAppendedStatement, [this.#channel, String(head)]);
        this.#announced = head;
      } catch (error) {
        this.#onError(error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, announceGapMs));
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#announcing;
    await this.#stop();
  }

  #listen(generation: number): void {
    this.#driver
      .listen(
        this.#channel,
        (payload) => this.publish(Number(payload)),
        (error) => this.#lost(generation, error),
      )
      .then(async (unlisten) => {
        // Stopped meanwhile, or listening already: this connection would never be given back.
        if (generation !== this.#generation || this.#unlisten !== undefined) return unlisten();
        this.#unlisten = unlisten;
        this.#failures = 0;
        this.publish(await this.#readHead());
      })
      .catch((error: unknown) => {
        if (generation !== this.#generation) return;
        this.#onError(error);
        if (this.#unlisten === undefined) this.#retry(generation);
      });
  }

  #lost(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    this.#unlisten = undefined;
    this.#onError(error);
    this.#retry(generation);
  }

  #retry(generation: number): void {
    const delay = Math.min(firstRetryMs * 2 ** this.#failures, maxRetryMs);
    this.#failures += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (generation === this.#generation) this.#listen(generation);
    }, delay);
    this.#retryTimer.unref?.();
  }

  async #stop(): Promise<void> {
    this.#generation += 1;
    this.#failures = 0;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.();
  }
}
