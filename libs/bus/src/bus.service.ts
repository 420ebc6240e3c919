import { ChildProcess } from 'node:child_process';
import { OnApplicationShutdown } from '@nestjs/common';
import { JetStreamClient, JetStreamManager, NatsConnection, PubAck } from 'nats';
import { BusNames } from '@wiz/contracts';

const encoder = new TextEncoder();

// The process's one NATS connection, its JetStream handles and the name table.
export class BusService implements OnApplicationShutdown {
  readonly js: JetStreamClient;

  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly names: BusNames,
    private readonly child?: ChildProcess,
  ) {
    this.js = nc.jetstream();
  }

  // Idempotent publish: JetStream drops a second message with the same id within its window.
  publish(subject: string, payload: string, msgId: string): Promise<PubAck> {
    return this.js.publish(subject, encoder.encode(payload), { msgID: msgId });
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.nc.isClosed()) return { ok: false, detail: 'closed' };
    try {
      const rtt = await withTimeout(this.nc.rtt(), 2_000);
      return { ok: true, detail: `connected to ${this.nc.getServer()} (rtt ${rtt.toFixed(1)} ms)` };
    } catch (e) {
      return { ok: false, detail: `not responding: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/** `p`, or a rejection after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
