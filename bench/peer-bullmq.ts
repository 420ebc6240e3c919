import { Queue, QueueEvents } from 'bullmq';
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { WorkerStart } from './peer-bullmq.worker';
import { CompletionWaiter, PhaseFigures, closedLoop } from './peer-phase';
import { CpuMeter } from './proc-cpu';
import { Cleanup, cpuSince, withTimeout } from './support';

export const BENCH_REDIS = { host: '127.0.0.1', port: 6379 };

/** The reference a team would build instead of Wiz: a BullMQ queue and a worker process. */
export interface BullmqAgent {
  /** `count` jobs, `inflight` awaiting their completion at any moment. */
  phase(count: number, inflight: number, timeoutMs: number): Promise<PhaseFigures>;
}

// Producer (this process: Queue.add, QueueEvents for completions) → Redis → a worker process with
// `concurrency` jobs at once, each one model call. Keys under a prefix of its own, removed after.
export async function startBullmqAgent(cleanup: Cleanup, llmUrl: string, concurrency: number): Promise<BullmqAgent> {
  const prefix = `benchpeer${randomBytes(4).toString('hex')}`;
  const name = 'agent';
  const redis = new Redis({ ...BENCH_REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((e: unknown) => {
    throw new Error(`Redis at ${BENCH_REDIS.host}:${BENCH_REDIS.port} is not reachable: ${String(e)}`);
  });
  cleanup.add('close redis connection', () => redis.quit());
  cleanup.add(`delete redis keys ${prefix}:*`, () => deleteKeys(redis, prefix));

  const worker = fork(join(__dirname, 'peer-bullmq.worker.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanup.add('stop bullmq worker', () => stopWorker(worker));
  const start: WorkerStart = { redis: BENCH_REDIS, prefix, queue: name, llmUrl, concurrency };
  worker.send(start);
  await withTimeout(once(worker, 'message'), 15_000, 'bullmq worker start');

  const queue = new Queue<{ i: number }, string>(name, { connection: BENCH_REDIS, prefix });
  cleanup.add('close bullmq queue', () => queue.close());
  const events = new QueueEvents(name, { connection: BENCH_REDIS, prefix });
  cleanup.add('close bullmq queue events', () => events.close());
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const waiter = new CompletionWaiter();
  events.on('completed', ({ jobId }) => waiter.completed(jobId, performance.now()));
  events.on('failed', ({ jobId, failedReason }) => waiter.failed(jobId, failedReason));

  const workerCpu = new CpuMeter(() => [worker.pid!]);
  return {
    async phase(count, inflight, timeoutMs) {
      const redis0 = await redisCpuUs(redis);
      workerCpu.begin();
      const cpu0 = process.cpuUsage();
      const t = await closedLoop(count, inflight, timeoutMs, waiter, async (i) => {
        const job = await queue.add('call', { i }, { removeOnComplete: true, removeOnFail: 100 });
        return job.id!;
      });
      const producerUs = cpuSince(cpu0);
      const workerUs = workerCpu.elapsedUs();
      const redisUs = (await redisCpuUs(redis)) - redis0;
      return {
        ...t,
        cpuUsPerJob: Math.round((producerUs + workerUs + redisUs) / count),
        workerCpuUsPerJob: Math.round(workerUs / count),
        redisCpuUsPerJob: Math.round(redisUs / count),
        producerCpuUsPerJob: Math.round(producerUs / count),
      };
    },
  };
}

/** Redis's own CPU (user + system, all its threads) from `INFO cpu`, in µs. */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1_000_000;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = once(worker, 'exit');
  worker.send('stop');
  await withTimeout(exited, 10_000, 'bullmq worker exit').catch(() => worker.kill('SIGKILL'));
}
