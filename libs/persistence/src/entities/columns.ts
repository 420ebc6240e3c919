import { ValueTransformer } from 'typeorm';

// Timestamps are stored as epoch milliseconds (bigint): the same type, precision and time-zone
// semantics on Postgres and SQLite, where `timestamptz` does not exist.
export const epochMs: ValueTransformer = {
  to: (v: Date | null | undefined) => (v == null ? v : v.getTime()),
  from: (v: string | number | null) => (v == null ? null : new Date(Number(v))),
};
