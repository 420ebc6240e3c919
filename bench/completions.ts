import { performance } from 'node:perf_hooks';
import { JSONCodec, NatsConnection, Subscription } from 'nats';
import { BusNames, EventEnvelope } from '@wiz/contracts';
import { Deferred, deferred } from './support';

const codec = JSONCodec<EventEnvelope<'job.failed'>>();

// Watches `job.completed` (and `job.failed`) events with a core NATS subscription on its own
// connection: core subscribers see what the server publishes to JetStream, with no consumer.
// A completion may in principle arrive before `submit` returns the job id: it is kept until then.
export class Completions {
  private readonly started = new Map<string, number>();
  private readonly early = new Map<string, number>();
  private readonly subs: Subscription[];
  private phase?: { expected: number; latencies: number[]; lastAt: number; done: Deferred<void> };

  constructor(nc: NatsConnection, names: BusNames) {
    const subject = (type: string) => names.eventSubject({ agentId: '*', jobId: '*', type });
    this.subs = [
      nc.subscribe(subject('job.completed'), {
        callback: (_e, m) => this.completed(jobIdOf(m.subject), performance.now()),
      }),
      nc.subscribe(subject('job.failed'), {
        callback: (_e, m) => {
          const event = codec.decode(m.data);
          this.phase?.done.reject(new Error(`job ${event.jobId} failed: ${event.data.reason}`));
        },
      }),
    ];
  }

  /** Starts counting `expected` completions; resolves when all of them were seen. */
  begin(expected: number): Promise<void> {
    this.started.clear();
    this.early.clear();
    this.phase = { expected, latencies: [], lastAt: 0, done: deferred() };
    return this.phase.done.promise;
  }

  submitted(jobId: string, at: number): void {
    const seen = this.early.get(jobId);
    if (seen === undefined) this.started.set(jobId, at);
    else this.record(seen - at, seen);
  }

  get count(): number {
    return this.phase?.latencies.length ?? 0;
  }

  get lastAt(): number {
    return this.phase?.lastAt ?? 0;
  }

  get latencies(): number[] {
    return this.phase?.latencies ?? [];
  }

  close(): void {
    this.subs.forEach((s) => s.unsubscribe());
  }

  private completed(jobId: string, at: number): void {
    const t0 = this.started.get(jobId);
    if (t0 === undefined) {
      this.early.set(jobId, at);
      return;
    }
    this.started.delete(jobId);
    this.record(at - t0, at);
  }

  private record(latency: number, at: number): void {
    const p = this.phase;
    if (!p) return;
    p.latencies.push(latency);
    p.lastAt = Math.max(p.lastAt, at);
    if (p.latencies.length === p.expected) p.done.resolve();
  }
}

// <prefix>.events.agent.<agentId>.<jobId>.<type…> (libs/contracts/src/subjects.ts)
const jobIdOf = (subject: string): string => subject.split('.')[4] ?? '';
