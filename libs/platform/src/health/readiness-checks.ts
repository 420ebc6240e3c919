import { Injectable } from '@nestjs/common';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

// What `/readyz` asks, by name. Platform registers the database, NATS and the streams; features
// add theirs from their own modules (the runtime its mailbox leases), so the health endpoints
// never import a feature.
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Every check, run concurrently; one that throws or takes over `timeoutMs` is down. */
  async run(timeoutMs = 3_000): Promise<Record<string, CheckResult>> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await bounded(check, timeoutMs)] as const),
    );
    return Object.fromEntries(entries);
  }
}

async function bounded(check: ReadinessCheck, ms: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${ms} ms` }), ms);
      }),
    ]);
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
