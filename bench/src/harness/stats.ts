/** The spread of repeated measurements of one quantity. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p10: number;
  readonly p90: number;
  readonly samples: readonly number[];
}

/** The q-quantile (0…1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = (sorted.length - 1) * q;
  const low = Math.floor(index);
  const high = Math.ceil(index);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[high] ?? Number.NaN;
  return lowValue + (highValue - lowValue) * (index - low);
}

/** Median, extremes and p10–p90 of repeated measurements. */
export function summarize(values: readonly number[]): Summary {
  return {
    median: quantile(values, 0.5),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    samples: values,
  };
}
