/**
 * `mapLimited`: an async function over many items with at most `limit`
 * calls pending, results in input order. The first failure is thrown only
 * once every call already started has settled, so nothing still runs
 * behind the caller's back when it sees the error (a restore then removes
 * its temporary files safely).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.err;
  return results;
}
