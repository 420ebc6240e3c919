// Connection-class failures of the store (Postgres restarting, unreachable): retry-able, not a
// bug. Any other store error (a constraint, a value the column cannot hold) will fail again.
// TypeORM releases a transaction's query runner when its connection emits an error, so the next
// statement of that transaction fails with QueryRunnerAlreadyReleasedError: the connection was
// lost mid-transaction (nothing committed), which is the store being unavailable too. So is a
// prepared statement whose result columns changed under it (a newer version's migration during a
// rolling upgrade): that connection prepares its statements anew (batched-client.ts), and the
// work succeeds when run again.
const PG_UNAVAILABLE = /^(08|57P0)/;

export function isStoreUnavailable(e: unknown): boolean {
  const { code, message } = codeAndMessage(e);
  return (
    (e as { name?: string })?.name === 'QueryRunnerAlreadyReleasedError' ||
    PG_UNAVAILABLE.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) ||
    isStalePlan(e) ||
    /Connection terminated|ECONNREFUSED|ECONNRESET|EPIPE|connection error and is not queryable|database system is (shutting down|starting up)/.test(
      message,
    )
  );
}

/** A prepared statement whose result columns changed since it was prepared (batched-client.ts). */
export function isStalePlan(e: unknown): boolean {
  const { code, message } = codeAndMessage(e);
  return code === '0A000' && message.includes('cached plan must not change result type');
}

/** What an append sent with the commit fails with when the store holds another context (ActivityContextsRepository). */
export const STALE_CONTEXT = 'wiz: the stored context is not the one this save appends to';

/** Whether `e` is the failure of an append sent with the commit to a context the store does not hold. */
export function isStaleContext(e: unknown): boolean {
  return codeAndMessage(e).message.includes(STALE_CONTEXT);
}

/** The driver's error code and message (TypeORM wraps pg's error as `driverError`). */
function codeAndMessage(e: unknown): { code: string; message: string } {
  const err = e as { code?: string; message?: string; driverError?: { code?: string; message?: string } };
  return {
    code: err?.driverError?.code ?? err?.code ?? '',
    message: err?.driverError?.message ?? err?.message ?? '',
  };
}
