/**
 * Waits for every one of `works` (statements sent side by side in one transaction, or chains of
 * them), then throws the first failure in the order given, if any: none is still on its way
 * when the transaction ends (nothing sent after its ROLLBACK), and the error reported is the
 * first one's, not a later statement's "current transaction is aborted".
 */
export async function sideBySide<T extends readonly unknown[]>(
  ...works: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const outcomes = await Promise.allSettled(works);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
