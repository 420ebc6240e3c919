import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { JSONCodec } from 'nats';
import { busNames, EventEnvelope } from '@wiz/contracts';
import { ConversationsService, MessagesService } from '@wiz/conversations';
import { LOCAL_OWNER } from '@wiz/platform';
import { AgentsService } from '@wiz/gateway';
import { BenchOptions, SuiteResult } from './suite';
import {
  Cleanup,
  connectBench,
  cpuSince,
  deferred,
  deleteStreams,
  dropSchema,
  FakeLlm,
  isolation,
  message,
  percentile,
  pool,
  round,
  startFakeLlm,
  within,
} from './support';
import { startBenchServer } from './server';

const codec = JSONCodec<EventEnvelope<'message.created'>>();

// A person's message to the agent's reply, in one process as `npm start` runs it on Postgres:
// MessagesService.post (what POST …/messages calls: the message, its context window and its job
// in one transaction) → the agent → the scripted model → the reply posted by the settle hook,
// seen as its `message.created` on JetStream by a separate NATS connection. One DM per agent;
// messages go round-robin over them (`--agents`), `--inflight` posts at a time.
export async function conversationsBench(o: BenchOptions): Promise<SuiteResult> {
  const iso = isolation('conv');
  const cleanup = new Cleanup();
  let llm: FakeLlm | undefined;
  try {
    llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    const nc = await connectBench('wiz-bench-conversations');
    cleanup.add('close observer connection', () => nc.close());
    const { app, config } = await startBenchServer(cleanup, iso, llm.baseUrl);

    const dms: string[] = [];
    await pool(o.agents, 8, async (i) => {
      // No planning: a chat reply is one model call (as in the queue suite).
      const agent = await app
        .get(AgentsService)
        .create(LOCAL_OWNER, { name: `bench-${i}`, role: 'a benchmark agent', loop: { planning: false } });
      dms[i] = (
        await app.get(ConversationsService).create(LOCAL_OWNER, { kind: 'dm', agentId: agent.id, userId: 'bench' })
      ).id;
    });

    // Replies by the job they answer; a reply may arrive before `post` returns its job id.
    const started = new Map<string, number>();
    const early = new Map<string, number>();
    let phase = { expected: 0, latencies: [] as number[], lastAt: 0, done: deferred() };
    const record = (latency: number, at: number) => {
      phase.latencies.push(latency);
      phase.lastAt = Math.max(phase.lastAt, at);
      if (phase.latencies.length === phase.expected) phase.done.resolve();
    };
    const sub = nc.subscribe(
      busNames(config.WIZ_BUS_PREFIX).eventSubject({ conversationId: '*', type: 'message.created' }),
      {
        callback: (_e, m) => {
          const at = performance.now();
          const msg = codec.decode(m.data).data.message;
          if (msg.author.kind !== 'agent') return;
          if (msg.role === 'system') return phase.done.reject(new Error(`a job failed: ${msg.content}`));
          const jobId = msg.jobIds[0]!;
          const t0 = started.get(jobId);
          if (t0 === undefined) early.set(jobId, at);
          else record(at - t0, at);
        },
      },
    );
    cleanup.add('unsubscribe', async () => sub.unsubscribe());
    await nc.flush();

    const messages = app.get(MessagesService);
    const run = async (count: number) => {
      started.clear();
      early.clear();
      phase = { expected: count, latencies: [], lastAt: 0, done: deferred() };
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const posting = pool(count, o.inflight, async (i) => {
        const at = performance.now();
        const posted = await messages.post(LOCAL_OWNER, dms[i % dms.length]!, {
          userId: 'bench',
          content: `bench message ${i}`,
        });
        const jobId = posted.jobIds[0]!;
        const seen = early.get(jobId);
        if (seen === undefined) started.set(jobId, at);
        else record(seen - at, seen);
      });
      await within(Promise.all([posting, phase.done.promise]), o.timeoutMs).catch((e: unknown) => {
        throw new Error(`conversations: ${message(e)}; ${phase.latencies.length} of ${count} replies`);
      });
      return { elapsedMs: phase.lastAt - t0, cpuUs: cpuSince(cpu0), latencies: phase.latencies.sort((a, b) => a - b) };
    };
    if (o.warmup) await run(o.warmup);
    await new Promise((r) => setTimeout(r, 500));
    const { elapsedMs, cpuUs, latencies } = await run(o.jobs);
    return {
      figures: {
        'conversations.messagesPerSec': round((o.jobs / elapsedMs) * 1000),
        'conversations.p50Ms': round(percentile(latencies, 50)),
        'conversations.p99Ms': round(percentile(latencies, 99)),
        'conversations.cpuUsPerMessage': Math.round(cpuUs / o.jobs),
      },
      context: { 'conversations: context window (messages)': config.WIZ_CONVERSATION_CONTEXT_MESSAGES },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}
