// Connection-class failures of the store (Postgres restarting, unreachable): retry-able, not a
// bug. Any other store error (a constraint, a value the column cannot hold) will fail again.
const PG_UNAVAILABLE = /^(08|57P0)/;

export function isStoreUnavailable(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string; message?: string }; message?: string };
  const code = err?.driverError?.code ?? err?.code ?? '';
  const message = err?.driverError?.message ?? err?.message ?? '';
  return (
    PG_UNAVAILABLE.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) ||
    /Connection terminated|ECONNREFUSED|ECONNRESET|EPIPE|connection error and is not queryable|database system is (shutting down|starting up)/.test(
      message,
    )
  );
}
