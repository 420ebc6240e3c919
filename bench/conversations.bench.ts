import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { JSONCodec } from 'nats';
import { busNames, EventEnvelope } from '@wiz/contracts';
import { ConversationsService, MessagesService } from '@wiz/conversations';
import { LOCAL_OWNER } from '@wiz/platform';
import { JobsService } from '@wiz/queue';
import { AgentsService } from '@wiz/gateway';
import { Completions } from './completions';
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
  setFakeRules,
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
// Beside it, the plain queue measured the same way on the same server and agents (a job submitted
// with JobsService.submit, its `job.completed` seen on the bus): phases in the order message, job,
// job, message after a warm-up of each, so that a drift in the machine's load falls on both.
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
    // The reply echoes the person's message only. The default echo repeats the whole task, which
    // carries the conversation's window (the earlier messages, as JSON): each reply would contain
    // the one before it, escaped once more, and grow geometrically with the conversation.
    await setFakeRules(llm.baseUrl, [{ reply: { content: 'echo: {{lastUserFirstLine}}' } }]);
    const { app, config } = await startBenchServer(cleanup, iso, llm.baseUrl);

    const dms: string[] = [];
    const agentIds: string[] = [];
    await pool(o.agents, 8, async (i) => {
      // No planning: a chat reply is one model call (as in the queue suite).
      const agent = await app
        .get(AgentsService)
        .create(LOCAL_OWNER, { name: `bench-${i}`, role: 'a benchmark agent', loop: { planning: false } });
      agentIds[i] = agent.id;
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
    const completions = new Completions(nc, busNames(config.WIZ_BUS_PREFIX));
    cleanup.add('unsubscribe completions', async () => completions.close());
    await nc.flush();

    const messages = app.get(MessagesService);
    const talk = async (count: number): Promise<Phase> => {
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
      return { elapsedMs: phase.lastAt - t0, cpuUs: cpuSince(cpu0), latencies: phase.latencies };
    };
    // The reference: the same agents' plain jobs, the queue suite's way (JobsService.submit).
    const jobs = app.get(JobsService);
    const queue = async (count: number): Promise<Phase> => {
      const done = completions.begin(count);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const submitting = pool(count, o.inflight, async (i) => {
        const at = performance.now();
        const job = await jobs.submit(LOCAL_OWNER, {
          agentId: agentIds[i % agentIds.length]!,
          input: `bench job ${i}`,
        });
        completions.submitted(job.id, at);
      });
      await within(Promise.all([submitting, done]), o.timeoutMs).catch((e: unknown) => {
        throw new Error(`conversations (queue reference): ${message(e)}; ${completions.count} of ${count} jobs`);
      });
      return { elapsedMs: completions.lastAt - t0, cpuUs: cpuSince(cpu0), latencies: completions.latencies };
    };
    const settle = () => new Promise((r) => setTimeout(r, 500));
    if (o.warmup) {
      await talk(o.warmup);
      await queue(o.warmup);
    }
    const measured = { talk: [] as Phase[], queue: [] as Phase[] };
    for (const kind of ['talk', 'queue', 'queue', 'talk'] as const) {
      await settle();
      measured[kind].push(await (kind === 'talk' ? talk : queue)(o.jobs));
    }
    const t = sum(measured.talk);
    const q = sum(measured.queue);
    const cpuUsPerMessage = Math.round(t.cpuUs / (2 * o.jobs));
    const queueCpuUsPerJob = Math.round(q.cpuUs / (2 * o.jobs));
    return {
      figures: {
        'conversations.messagesPerSec': round(((2 * o.jobs) / t.elapsedMs) * 1000),
        'conversations.p50Ms': round(percentile(t.latencies, 50)),
        'conversations.p99Ms': round(percentile(t.latencies, 99)),
        'conversations.cpuUsPerMessage': cpuUsPerMessage,
        'conversations.queueJobsPerSec': round(((2 * o.jobs) / q.elapsedMs) * 1000),
        'conversations.queueCpuUsPerJob': queueCpuUsPerJob,
        'conversations.cpuRatioToQueue': round(cpuUsPerMessage / queueCpuUsPerJob, 2),
      },
      context: {
        'conversations: context window (messages)': config.WIZ_CONVERSATION_CONTEXT_MESSAGES,
        'conversations: CPU µs per message, per job (phases in order message, job, job, message)': [
          measured.talk[0]!,
          measured.queue[0]!,
          measured.queue[1]!,
          measured.talk[1]!,
        ]
          .map((p) => Math.round(p.cpuUs / o.jobs))
          .join(', '),
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

interface Phase {
  elapsedMs: number;
  cpuUs: number;
  latencies: number[];
}

/** Two phases as one: their times and CPU added, their latencies pooled and sorted. */
function sum(phases: Phase[]): Phase {
  return {
    elapsedMs: phases.reduce((a, p) => a + p.elapsedMs, 0),
    cpuUs: phases.reduce((a, p) => a + p.cpuUs, 0),
    latencies: phases.flatMap((p) => p.latencies).sort((a, b) => a - b),
  };
}
