import { WizApiError } from '@wiz/client';

/** Rows as aligned columns for people. */
export function table(rows: Array<Record<string, string | number | null | undefined>>, empty: string): string {
  if (rows.length === 0) return empty;
  const keys = Object.keys(rows[0]!);
  const cells = rows.map((r) => keys.map((k) => String(r[k] ?? '—')));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys.map((k) => k.toUpperCase())), ...cells.map(line)].join('\n');
}

/** `a, b,,c` → ['a', 'b', 'c']: a comma-separated option. */
export const csv = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export const clip = (s: string, n = 60): string => {
  const first = s.split('\n')[0]!;
  return first.length > n ? `${first.slice(0, n - 1)}…` : first;
};

export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : human()) + '\n');
}

/** A failure as one line for people (or the error body with --json), and exit code 1. */
export function fail(e: unknown, json: boolean): never {
  if (json && e instanceof WizApiError) {
    process.stderr.write(JSON.stringify({ status: e.status, code: e.code, message: e.message }) + '\n');
  } else {
    const what =
      e instanceof WizApiError
        ? `${e.message} (${e.code}${e.status ? `, HTTP ${e.status}` : ''})`
        : e instanceof Error
          ? e.message
          : String(e);
    process.stderr.write(`wiz: ${what}\n`);
  }
  process.exit(1);
}
