import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { JSONCodec } from 'nats';
import { busNames, EventEnvelope } from '@wiz/contracts';
import { startEchoServer } from './mcp.bench';
import { listenBenchServer, startBenchServer } from './server';
import { BenchOptions, SuiteResult } from './suite';
import {
  api,
  Cleanup,
  connectBench,
  Deferred,
  deferred,
  deleteStreams,
  dropSchema,
  isolation,
  percentile,
  round,
  setFakeRules,
  startFakeLlm,
  within,
} from './support';

export interface HitlBenchOptions extends BenchOptions {
  /** Approvals measured, one job at a time. */
  approvals: number;
}

const codec = JSONCodec<EventEnvelope>();

// An approval's way back to work, in one process as `npm start` runs it on Postgres, over its
// REST API. One job at a time: the scripted model calls `bench__echo`, an instant tool of a local
// MCP server (bench process, loopback) that the agent's policy gates (`always`); the job parks
// and `approval.requested` is seen on the bus; then, timed: `POST /api/v1/approvals/:id`
// `{decision: "approve"}` → the MCP tool's handler starting. That is the decision's commit and
// its mailbox command, the job's wake-up and run, the approved call through the MCP client.
export async function hitlBench(o: HitlBenchOptions): Promise<SuiteResult> {
  const iso = isolation('hitl');
  const cleanup = new Cleanup();
  try {
    let toolRan: Deferred<number> | undefined;
    let early = 0;
    const echo = await startEchoServer(() => (toolRan ? toolRan.resolve(performance.now()) : early++));
    cleanup.add('stop the MCP echo server', echo.stop);
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    await setFakeRules(llm.baseUrl, [
      { match: { hasToolResult: false }, reply: { toolCalls: [{ name: 'bench__echo', arguments: { text: 'hi' } }] } },
      { match: { hasToolResult: true }, reply: { content: 'done' } },
    ]);
    const nc = await connectBench('wiz-bench-hitl');
    cleanup.add('close observer connection', () => nc.close());
    const { app, config } = await startBenchServer(cleanup, iso, llm.baseUrl);
    const base = await listenBenchServer(app);
    await api(base, 'POST', '/api/v1/mcp-servers', { name: 'bench', transport: 'http', url: echo.url });
    const agent = await api<{ id: string }>(base, 'POST', '/api/v1/agents', {
      name: 'Gate',
      role: 'a benchmark agent',
      loop: { planning: false },
      tools: ['bench__echo'],
      approvals: { bench__echo: 'always' },
    });

    // The job's approval request, then its end.
    let requested = deferred<string>();
    let ended = deferred();
    const names = busNames(config.WIZ_BUS_PREFIX);
    const on = (type: string, f: (e: EventEnvelope) => void) =>
      nc.subscribe(names.eventSubject({ agentId: '*', jobId: '*', type }), {
        callback: (_e, m) => f(codec.decode(m.data)),
      });
    const subs = [
      on('approval.requested', (e) => requested.resolve((e as EventEnvelope<'approval.requested'>).data.approvalId)),
      on('job.completed', () => ended.resolve()),
      on('job.failed', (e) => ended.reject(new Error(`job failed: ${(e as EventEnvelope<'job.failed'>).data.reason}`))),
    ];
    cleanup.add('unsubscribe', async () => subs.forEach((s) => s.unsubscribe()));
    await nc.flush();

    const resume: number[] = [];
    const decide: number[] = [];
    const warmup = Math.min(o.warmup, 20);
    for (let i = 0; i < warmup + o.approvals; i++) {
      requested = deferred();
      ended = deferred();
      toolRan = undefined;
      await api(base, 'POST', '/api/v1/jobs', { agentId: agent.id, input: `approve ${i}` });
      const approvalId = await within(requested.promise, 30_000);
      if (early) throw new Error('the gated tool ran before its approval');
      toolRan = deferred();
      const t0 = performance.now();
      await api(base, 'POST', `/api/v1/approvals/${approvalId}`, { decision: 'approve' });
      const answered = performance.now();
      const ranAt = await within(toolRan.promise, 30_000);
      await within(ended.promise, 30_000);
      if (i < warmup) continue;
      resume.push(ranAt - t0);
      decide.push(answered - t0);
    }
    resume.sort((a, b) => a - b);
    decide.sort((a, b) => a - b);
    return {
      figures: {
        'hitl.approvalResumeMsP50': round(percentile(resume, 50), 2),
        'hitl.approvalResumeMsP99': round(percentile(resume, 99), 2),
      },
      context: {
        'hitl: approvals measured (one job at a time)': resume.length,
        'hitl: POST /approvals/:id answered, p50 / p99 ms': `${round(percentile(decide, 50), 2)} / ${round(percentile(decide, 99), 2)}`,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}
