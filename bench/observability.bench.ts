import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { busNames } from '@wiz/contracts';
import { OtlpReceiver } from '../test/support/otlp-receiver';
import { Completions } from './completions';
import { startServerProcess } from './server';
import { BenchOptions, SuiteResult } from './suite';
import {
  api,
  Cleanup,
  connectBench,
  deleteStreams,
  dropSchema,
  isolation,
  message,
  pool,
  round,
  startFakeLlm,
  within,
} from './support';

const ROUNDS = 3;

interface Server {
  url: string;
  completions: Completions;
  agents: string[];
}

// What tracing costs the queue. Tracing is set up once per process, so two servers run as child
// processes (`node dist/apps/server/src/main.js`, Postgres, each its own isolation), one with
// OTEL_EXPORTER_OTLP_ENDPOINT set to an OTLP/HTTP receiver in the bench process (loopback), one
// without. Phases alternate off, on, off, on, off, on: `--jobs` jobs submitted with
// `POST /api/v1/jobs`, `--inflight` at a time, round-robin over `--agents` agents (planning off,
// no tools: one model call per job, the scripted echo model), until each `job.completed` is seen
// on the bus; jobs/s = N / (first submit → last completion). Overhead = 1 − median(on) /
// median(off). The spans the receiver got prove the export happened.
export async function observabilityBench(o: BenchOptions): Promise<SuiteResult> {
  const off = isolation('otoff');
  const on = isolation('oton');
  const cleanup = new Cleanup();
  try {
    const otlp = new OtlpReceiver();
    const otlpUrl = await otlp.start();
    cleanup.add('stop the OTLP receiver', () => otlp.stop());
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    for (const iso of [off, on]) {
      cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
      cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    }
    const nc = await connectBench('wiz-bench-observability');
    cleanup.add('close observer connection', () => nc.close());
    const servers: Server[] = [];
    for (const [iso, env] of [
      [off, {}],
      [on, { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_SERVICE_NAME: 'wiz-bench' }],
    ] as const) {
      const { url } = await startServerProcess(cleanup, iso, llm.baseUrl, env);
      const completions = new Completions(nc, busNames(iso.prefix));
      cleanup.add('unsubscribe', async () => completions.close());
      const agents: string[] = [];
      await pool(o.agents, 8, async (i) => {
        const body = { name: `bench-${i}`, role: 'a benchmark agent', loop: { planning: false }, tools: [] };
        agents[i] = (await api<{ id: string }>(url, 'POST', '/api/v1/agents', body)).id;
      });
      servers.push({ url, completions, agents });
    }
    await nc.flush();

    const phase = async ({ url, completions, agents }: Server, count: number, label: string) => {
      const allDone = completions.begin(count);
      const t0 = performance.now();
      const submitting = pool(count, o.inflight, async (i) => {
        const at = performance.now();
        const job = await api<{ id: string }>(url, 'POST', '/api/v1/jobs', {
          agentId: agents[i % agents.length],
          input: `bench job ${i}`,
        });
        completions.submitted(job.id, at);
      });
      await within(Promise.all([submitting, allDone]), o.timeoutMs).catch((e: unknown) => {
        throw new Error(`observability ${label}: ${message(e)}; ${completions.count} of ${count} jobs completed`);
      });
      return (count / (completions.lastAt - t0)) * 1000;
    };

    const [plain, traced] = servers as [Server, Server];
    if (o.warmup) for (const s of servers) await phase(s, o.warmup, 'warm-up');
    const rates = { off: [] as number[], on: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      await new Promise((res) => setTimeout(res, 500));
      rates.off.push(await phase(plain, o.jobs, `off ${r + 1}`));
      await new Promise((res) => setTimeout(res, 500));
      rates.on.push(await phase(traced, o.jobs, `on ${r + 1}`));
    }
    // The batch processor exports every 500 ms: let the last batches arrive.
    await new Promise((res) => setTimeout(res, 1_500));
    if (otlp.spans.length === 0) throw new Error('tracing on, but the OTLP receiver got no span');
    const offPerSec = median(rates.off);
    const onPerSec = median(rates.on);
    const list = (xs: number[]) => xs.map((x) => round(x)).join(', ');
    return {
      figures: {
        'observability.tracingOverheadPct': round((1 - onPerSec / offPerSec) * 100, 1),
        'observability.jobsPerSecTracingOff': round(offPerSec),
        'observability.jobsPerSecTracingOn': round(onPerSec),
      },
      context: {
        'observability: jobs/s per phase, tracing off': list(rates.off),
        'observability: jobs/s per phase, tracing on': list(rates.on),
        'observability: spans received (exports), per traced job': `${otlp.spans.length} (${otlp.exports}), ${round(
          otlp.spans.length / (o.warmup + ROUNDS * o.jobs),
        )}`,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
