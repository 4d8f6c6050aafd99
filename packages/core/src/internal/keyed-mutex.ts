/** One queue per key: work under the same key runs one at a time, other keys run freely. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for the key's earlier holders, then returns the function that lets the next one in. */
  async acquire(key: string): Promise<() => Promise<void>> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    await previous;
    return async () => {
      release();
      // The last holder leaves no entry behind, so the map does not grow with every key ever used.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
