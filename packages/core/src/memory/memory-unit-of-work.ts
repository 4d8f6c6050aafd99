import type { InMemoryTransaction } from './in-memory-transaction.js';

/** Marks a document deleted inside a unit of work that has not committed yet. */
export const deleted = Symbol('deleted');

/** One in-memory transaction: its checkpoint and document writes, applied on commit only. */
export class MemoryUnitOfWork implements InMemoryTransaction {
  /** Checkpoints saved in the unit; undefined: deleted. */
  readonly checkpoints = new Map<string, number | undefined>();
  /** Document writes by collection; {@link deleted} marks a removal. */
  readonly documents = new Map<string, Map<string, unknown>>();
  readonly #undo: (() => void)[] = [];

  onRollback(undo: () => void): void {
    this.#undo.push(undo);
  }

  rollback(): void {
    for (const step of this.#undo.reverse()) step();
  }
}

/**
 * Orders by Unicode code point, which is UTF-8 byte order: what SQLite and PostgreSQL (`COLLATE "C"`)
 * do. Plain `<` compares UTF-16 code units, which disagrees for characters beyond U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const difference = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
}

export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
