/**
 * Follows a log for the latency scenario, the same way for every contender: each wake-up reads
 * pages until one comes back short; wake-ups during a read coalesce into one more pass.
 */
export function createTail(readPage: (limit: number) => Promise<number>, pageSize = 1000) {
  let running = false;
  let again = false;
  let stopped = false;
  let failure: unknown;
  const pump = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        while ((await readPage(pageSize)) === pageSize);
      } while (again && !stopped);
    } catch (error) {
      failure = error;
    } finally {
      running = false;
    }
  };
  return {
    wake(): void {
      void pump();
    },
    /** Stops following; rethrows the first read failure, if any. */
    stop(): void {
      stopped = true;
      if (failure !== undefined) throw failure;
    },
  };
}
