/** Small, dependency-free statistics for benchmark samples. */

/** Sorted copy, ascending. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * Quantile by linear interpolation between closest ranks (the "R-7" / NumPy default): for q = 0.5
 * it is the usual median, for q = 0.99 over 10,000 samples it sits between the 9,900th and
 * 9,901st values.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty sample');
  if (q < 0 || q > 1) throw new RangeError('q must be within [0, 1]');
  const ordered = sorted(values);
  const position = (ordered.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = ordered[lower] as number;
  const high = ordered[upper] as number;
  return low + (high - low) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of an empty sample');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function max(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), -Infinity);
}
