import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { busNames } from '@wiz/contracts';
import { LOCAL_OWNER } from '@wiz/platform';
import { JobsService } from '@wiz/queue';
import { AgentsService } from '@wiz/gateway';
import { Completions } from './completions';
import { BenchOptions, PhaseTiming, SuiteResult } from './suite';
import {
  Cleanup,
  connectBench,
  cpuSince,
  deleteStreams,
  dropSchema,
  FakeLlm,
  isolation,
  message,
  percentile,
  pool,
  round,
  startCpuProfile,
  startFakeLlm,
  TimeLimitError,
  within,
} from './support';
import { startBenchServer } from './server';

// Jobs through the whole server, in one process as `npm start` runs it: JobsService.submit (the
// gateway's bus interface) → outbox → mailbox stream → agent actor → scripted model → outbox →
// `job.completed` on JetStream, seen by a separate NATS connection.
export async function queueBench(o: BenchOptions): Promise<SuiteResult> {
  const iso = isolation();
  const cleanup = new Cleanup();
  // Nest exits the process itself when a provider fails at boot: then at least stop the child
  // and say what is left behind.
  let llm: FakeLlm | undefined;
  const onExit = () => {
    llm?.kill();
    console.error(`bench: exited before cleanup; remove streams ${iso.prefix}_* and schema ${iso.schema} by hand`);
  };
  process.once('exit', onExit);
  cleanup.add('exit hook', async () => process.off('exit', onExit));
  try {
    llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));

    // Reachability first, so that a missing NATS or Postgres is a clear error, not a Nest exit.
    const nc = await connectBench('wiz-bench-observer');
    cleanup.add('close observer connection', () => nc.close());
    await dropSchema(iso.schema); // (does not exist yet: only proves Postgres answers)

    const dataDir = o.store === 'sqlite' ? await mkdtemp(join(tmpdir(), 'wiz-bench-')) : '';
    if (dataDir) cleanup.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    const { app, config } = await startBenchServer(cleanup, iso, llm.baseUrl, dataDir);

    const completions = new Completions(nc, busNames(config.WIZ_BUS_PREFIX));
    cleanup.add('unsubscribe', async () => completions.close());
    await nc.flush();
    const agentIds = await createAgents(app, o.agents);

    await runPhase(app, completions, agentIds, o.warmup, o, 'warm-up');
    // Let the warm-up's outbox deletes and acks settle before measuring.
    await new Promise((r) => setTimeout(r, 500));
    const stopProfile = o.profile ? await startCpuProfile(o.profile) : undefined;
    const { latencies, elapsedMs, cpuUs } = await runPhase(app, completions, agentIds, o.jobs, o, 'measured');
    await stopProfile?.();
    latencies.sort((a, b) => a - b);
    return {
      figures: {
        'queue.jobsPerSec': round((o.jobs / elapsedMs) * 1000),
        'queue.p50Ms': round(percentile(latencies, 50)),
        'queue.p99Ms': round(percentile(latencies, 99)),
        // The server's own cost: CPU of this process (server + the tiny observer) per job.
        'queue.cpuUsPerJob': Math.round(cpuUs / o.jobs),
      },
      context: {
        'NATS server': nc.info?.version ?? 'unknown',
        'mailbox partitions': config.WIZ_MAILBOX_PARTITIONS,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

async function createAgents(app: INestApplication, count: number): Promise<string[]> {
  const agents = app.get(AgentsService);
  const ids: string[] = [];
  await pool(count, 8, async (i) => {
    // The least the agent loop does, so that the queue is what is measured: no planning (one
    // model call per job) and no tools but `finish` (no tool schemas in the request). The loop's
    // own cost is the actors suite's figure; the model-call reference makes the same call.
    const a = await agents.create(LOCAL_OWNER, {
      name: `bench-${i}`,
      role: 'a benchmark agent',
      loop: { planning: false },
      tools: [],
    });
    ids[i] = a.id;
  });
  return ids;
}

// Submits `count` jobs round-robin over the agents, `inflight` submissions at a time, and waits
// for every `job.completed`.
async function runPhase(
  app: INestApplication,
  completions: Completions,
  agentIds: string[],
  count: number,
  o: BenchOptions,
  label: string,
): Promise<PhaseTiming> {
  if (count === 0) return { latencies: [], elapsedMs: 0, cpuUs: 0 };
  const jobs = app.get(JobsService);
  const allDone = completions.begin(count);
  let submitted = 0;
  let failed = false;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const submitting = pool(
    count,
    o.inflight,
    async (i) => {
      const at = performance.now();
      const job = await jobs.submit(LOCAL_OWNER, { agentId: agentIds[i % agentIds.length]!, input: `bench job ${i}` });
      submitted++;
      completions.submitted(job.id, at);
    },
    () => failed,
  );
  try {
    await within(Promise.all([submitting, allDone]), o.timeoutMs);
  } catch (e) {
    failed = true;
    const progress = `${completions.count} of ${count} jobs completed (${submitted} submitted)`;
    throw new Error(
      e instanceof TimeLimitError
        ? `queue ${label}: only ${progress} within the ${o.timeoutMs / 1000} s limit`
        : `queue ${label}: ${message(e)}; ${progress}`,
    );
  }
  return { latencies: completions.latencies, elapsedMs: completions.lastAt - t0, cpuUs: cpuSince(cpu0) };
}
