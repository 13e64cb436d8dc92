export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `work` over `items` with at most `limit` in flight; one failure never stops the others.
 * Results keep the order of `items`.
 */
export async function mapSettled<I, T>(
  items: readonly I[],
  limit: number,
  work: (item: I, index: number) => Promise<T>,
): Promise<Settled<T>[]> {
  const results = new Array<Settled<T>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index] as I, index) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
