import { Worker } from 'bullmq';
import { modelCaller } from './model-call';

// The hand-built reference worker of the peers suite, run as its own process (forked by
// bench/peer-bullmq.ts): a BullMQ Worker whose processor makes the same AI SDK call as Wiz's agent
// loop (bench/model-call.ts) and returns the text. Started by an IPC message, stopped by another.
export interface WorkerStart {
  redis: { host: string; port: number };
  prefix: string;
  queue: string;
  llmUrl: string;
  concurrency: number;
}

process.once('message', (m: WorkerStart) => {
  const call = modelCaller(m.llmUrl);
  const worker = new Worker<{ i: number }, string>(m.queue, (job) => call(job.data.i), {
    connection: m.redis,
    prefix: m.prefix,
    concurrency: m.concurrency,
  });
  worker.on('error', (e) => console.error(`bullmq worker: ${e.message}`));
  process.on('message', (stop: string) => {
    if (stop === 'stop') void worker.close().finally(() => process.exit(0));
  });
  void worker.waitUntilReady().then(
    () => process.send!('ready'),
    (e: unknown) => {
      console.error(`bullmq worker: ${String(e)}`);
      process.exit(1);
    },
  );
});
