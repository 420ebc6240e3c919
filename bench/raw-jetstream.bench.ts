import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AckPolicy, JetStreamClient, nanos, RetentionPolicy, StorageType } from 'nats';
import { BenchOptions, SuiteResult } from './suite';
import {
  Cleanup,
  connectBench,
  cpuSince,
  deferred,
  deleteStreams,
  isolation,
  message,
  pool,
  round,
  TimeLimitError,
  within,
} from './support';

// The reference: the same number of messages through plain JetStream on the same NATS, shaped
// like Wiz's mailbox (a file-backed work-queue stream, one pull consumer, explicit acks, one
// connection for publisher and consumer as in the server process). No store, no model.
export async function rawJetStreamBench(o: BenchOptions): Promise<SuiteResult> {
  const { prefix } = isolation('raw');
  const cleanup = new Cleanup();
  try {
    const nc = await connectBench('wiz-bench-raw');
    cleanup.add('close raw connection', () => nc.close());
    cleanup.add(`delete streams ${prefix}_*`, () => deleteStreams(prefix));
    const jsm = await nc.jetstreamManager();
    const stream = `${prefix}_work`;
    await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.work.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: 1,
    });
    await jsm.consumers.add(stream, {
      durable_name: 'worker',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_ack_pending: 1000,
    });
    const js = nc.jetstream();
    const messages = await (await js.consumers.get(stream, 'worker')).consume({ max_messages: 256 });
    cleanup.add('stop consumer', () => messages.close());

    let onAck = () => {};
    void (async () => {
      for await (const m of messages) {
        m.ack();
        onAck();
      }
    })();
    const phase = async (count: number, label: string): Promise<{ elapsedMs: number; cpuUs: number }> => {
      if (count === 0) return { elapsedMs: 0, cpuUs: 0 };
      let acked = 0;
      const done = deferred<number>();
      onAck = () => void (++acked === count && done.resolve(performance.now()));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let failed = false;
      const publishing = pool(
        count,
        o.inflight,
        (i) => publish(js, prefix, i % o.agents),
        () => failed,
      );
      try {
        const [, end] = await within(Promise.all([publishing, done.promise]), o.timeoutMs);
        return { elapsedMs: end - t0, cpuUs: cpuSince(cpu0) };
      } catch (e) {
        failed = true;
        const progress = `${acked} of ${count} messages acked`;
        throw new Error(
          e instanceof TimeLimitError
            ? `raw JetStream ${label}: only ${progress} within the ${o.timeoutMs / 1000} s limit`
            : `raw JetStream ${label}: ${message(e)}; ${progress}`,
        );
      }
    };
    await phase(o.warmup, 'warm-up');
    const { elapsedMs, cpuUs } = await phase(o.jobs, 'measured');
    return {
      figures: {
        'queue.rawJetStreamPerSec': round((o.jobs / elapsedMs) * 1000),
        'queue.rawJetStreamCpuUsPerMsg': Math.round(cpuUs / o.jobs),
      },
      context: {
        'raw JetStream': 'file work-queue stream, 1 pull consumer (consume, 256 buffered), ack each, 1 connection',
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

const encoder = new TextEncoder();

// A message the size and shape of a mailbox command.
async function publish(js: JetStreamClient, prefix: string, agent: number): Promise<void> {
  const body = { kind: 'job.run', jobId: randomUUID(), agentId: randomUUID(), ownerId: 'local', traceId: randomUUID() };
  await js.publish(`${prefix}.work.${agent}`, encoder.encode(JSON.stringify(body)));
}
