/**
 * CI runs every scenario small enough for the whole suite to stay within a few minutes; soak mode
 * (`npm run soak -w reliability`, or `HINDSIGHT_SOAK=1`) runs the same scenarios longer and bigger.
 */
export const soak = process.env.HINDSIGHT_SOAK === '1' || process.env.HINDSIGHT_SOAK === 'true';

/** The CI figure, or the soak one. */
export function scale<T>(ci: T, soakValue: T): T {
  return soak ? soakValue : ci;
}

/** A test timeout with room for the scenario's own duration. */
export function timeoutFor(scenarioMs: number): number {
  return scenarioMs + 60_000;
}
