import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs } from 'ai';
import { ActorRegistry, AgentLoopService } from '@wiz/agent';
import { busNames } from '@wiz/contracts';
import { LOCAL_OWNER } from '@wiz/platform';
import { JobsService } from '@wiz/queue';
import { AgentsService } from '@wiz/gateway';
import { ACT_INSTRUCTIONS, PLAN_INSTRUCTIONS, VALIDATE_INSTRUCTIONS } from '../libs/agent/src/loop/prompts';
import { toAiTools, toolsFor } from '../libs/agent/src/tools/registry';
import type { ToolContext } from '../libs/agent/src/tools/tool';
import { BurstFigures, meanBurst, measureBurst, sdkBurst } from './burst';
import { CompletionWaiter } from './peer-phase';
import { BenchOptions, SuiteResult } from './suite';
import {
  Cleanup,
  connectBench,
  deferred,
  deleteStreams,
  dropSchema,
  isolation,
  percentile,
  pool,
  round,
  setFakeRules,
  startFakeLlm,
  within,
} from './support';
import { startBenchServer } from './server';

export interface ActorsOptions extends BenchOptions {
  /** Idle actors to hold (target 10,000). */
  idleAgents: number;
  /** Jobs measured one at a time for the per-step overhead. */
  stepJobs: number;
  /** Long jobs (LONG_STEPS tool-call steps each) measured for the step's cost against its history. */
  growthJobs: number;
  /** Jobs in flight at once against the slow streaming model (target 2,000). */
  concurrent: number;
}

const first = (s: string) => s.split('\n')[0]!;
// Long enough (15 s at 20 chunks/s) that every job is still streaming when the last one starts.
const SLOW_CHUNKS = 300;
// Tool-call steps of a long job: after step k (from 1) its history holds 1 + 2k messages.
const LONG_STEPS = 100;

// The agent actors, in one process as `npm start` runs it, against the scripted model:
// idle actors held and their memory; the runtime's own time per model step; jobs in flight at
// once on a slow streaming model, with the event loop's lag.
export async function actorsBench(o: ActorsOptions): Promise<SuiteResult> {
  const iso = isolation('act');
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    const nc = await connectBench('wiz-bench-actors');
    cleanup.add('close observer', () => nc.close());
    await script(llm.baseUrl);
    const { app, config } = await startBenchServer(cleanup, iso, llm.baseUrl);

    const idle = idleActors(app, o.idleAgents);
    const step = await stepOverhead(app, o.stepJobs);
    const sdkStep = await sdkStepOverhead(llm.baseUrl, o.stepJobs);
    const growth = await stepGrowth(app, llm.baseUrl, o.growthJobs);
    const sdkGrowth = await sdkStepGrowth(llm.baseUrl, o.growthJobs);
    const names = busNames(config.WIZ_BUS_PREFIX);
    const subject = (type: string) => names.eventSubject({ agentId: '*', jobId: '*', type });
    const slowTimeoutMs = Math.max(o.timeoutMs, 300_000);
    const conc = await concurrentJobs(app, o.concurrent, slowTimeoutMs, (type, cb) =>
      nc.subscribe(subject(type), { callback: () => cb() }),
    );
    // The burst case: the same count started at once, by the bare AI SDK (a fresh process, nothing
    // else in its event loop) and by Wiz on the same agents, now idle; in the order SDK, Wiz, Wiz,
    // SDK so that a drift in the machine's load falls on both, each figure the mean of two.
    const sdkRun = () =>
      sdkBurst({
        llmUrl: llm.baseUrl,
        inputPrefix: 'SLOW',
        count: o.concurrent,
        warmup: 200,
        timeoutMs: slowTimeoutMs,
      });
    const waiter = new CompletionWaiter();
    const jobIdOf = (s: string) => s.split('.')[4] ?? ''; // <prefix>.events.agent.<agent>.<job>.<type…>
    const subs = [
      nc.subscribe(subject('job.completed'), { callback: (_e, m) => waiter.completed(jobIdOf(m.subject), 0) }),
      nc.subscribe(subject('job.failed'), { callback: (_e, m) => waiter.failed(jobIdOf(m.subject), 'failed') }),
    ];
    cleanup.add('unsubscribe burst', async () => subs.forEach((sub) => sub.unsubscribe()));
    await nc.flush();
    const jobs = app.get(JobsService);
    const wizRun = () =>
      measureBurst(o.concurrent, slowTimeoutMs, async (i) => {
        const job = await jobs.submit(LOCAL_OWNER, { agentId: conc.agentIds[i]!, input: `SLOW burst ${i}` });
        await waiter.wait(job.id);
      });
    const sdkRuns = [await sdkRun()];
    const wizRuns = [await wizRun(), await wizRun()];
    sdkRuns.push(await sdkRun());
    const [sdk, wiz] = [meanBurst(sdkRuns), meanBurst(wizRuns)];
    return {
      figures: {
        'actors.idleAgents': idle.count,
        'actors.rssPerIdleAgentKb': idle.kbEach,
        'actors.stepOverheadMsP50': step.p50,
        'actors.stepOverheadMsP99': step.p99,
        'actors.stepCpuMs': step.cpuMs,
        'peer.sdkStep.overheadMsP50': sdkStep,
        'actors.stepOverheadRatioToSdk': round(step.p50 / sdkStep, 2),
        'actors.stepMsAt10': growth.at10,
        'actors.stepMsAt200': growth.at200,
        'actors.stepCostGrowth': growth.ratio,
        'peer.sdkStep.msAt10': sdkGrowth.at10,
        'peer.sdkStep.msAt200': sdkGrowth.at200,
        'peer.sdkStep.costGrowth': sdkGrowth.ratio,
        // Wiz's own part of a step (its time less the bare SDK's), at 200 messages ÷ at 10.
        'actors.stepOwnCostGrowth': round((growth.at200 - sdkGrowth.at200) / (growth.at10 - sdkGrowth.at10), 2),
        'actors.concurrentJobs': conc.peak,
        'actors.concurrentLagP99Ms': conc.lagP99,
        'actors.burstLagP99Ms': wiz.lagP99Ms,
        'actors.burstJobP50Ms': wiz.jobP50Ms,
        'actors.burstCpuUsPerJob': wiz.cpuUsPerJob,
        'peer.sdkBurst.lagP99Ms': sdk.lagP99Ms,
        'peer.sdkBurst.jobP50Ms': sdk.jobP50Ms,
        'peer.sdkBurst.cpuUsPerCall': sdk.cpuUsPerJob,
        'actors.concurrentLagRatioToSdk': round(wiz.lagP99Ms / sdk.lagP99Ms, 2),
      },
      context: {
        'actors: steps per measured job': step.stepsPerJob,
        'actors: long jobs (step cost against history)': `${o.growthJobs} × ${LONG_STEPS} tool-call steps`,
        'actors: process CPU per step at 10 / 200 messages': `${growth.cpuAt10} / ${growth.cpuAt200} ms`,
        'actors: slow model': `1 s to first token, 20 chunks/s, ${SLOW_CHUNKS} chunks`,
        'actors: concurrent jobs asked': o.concurrent,
        'actors: busiest second': conc.windows,
        'actors: burst (all started at once), Wiz, 2nd and 3rd': wizRuns.map(burstLine).join('; '),
        'actors: burst, bare AI SDK (own process), 1st and 4th': sdkRuns.map(burstLine).join('; '),
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

// Plan → act (one tool call, then the answer) → validate for STEP jobs; a slow stream for SLOW ones.
async function script(baseUrl: string): Promise<void> {
  const rules = [
    {
      match: { systemContains: first(PLAN_INSTRUCTIONS) },
      reply: { content: '{"validationCriteria":["answers"],"steps":["answer"]}' },
    },
    {
      match: { systemContains: first(ACT_INSTRUCTIONS), lastUserContains: 'STEP', hasToolResult: false },
      reply: { toolCalls: [{ name: 'remember', arguments: { note: 'n' } }] },
    },
    { match: { systemContains: first(ACT_INSTRUCTIONS), lastUserContains: 'STEP' }, reply: { content: 'done' } },
    { match: { systemContains: first(VALIDATE_INSTRUCTIONS) }, reply: { content: '{"passed":true,"feedback":""}' } },
    {
      match: { systemContains: first(ACT_INSTRUCTIONS), lastUserContains: 'LONG' },
      reply: { toolCalls: [{ name: 'remember', arguments: { note: 'a note of a long job' } }] },
      times: LONG_STEPS,
    },
    { match: { lastUserContains: 'LONG' }, reply: { content: 'done' } },
    {
      match: { lastUserContains: 'SLOW' },
      reply: { content: 'x'.repeat(SLOW_CHUNKS * 2), chunkSize: 2, delayMs: 1_000, tokenIntervalMs: 50 },
    },
  ];
  await setFakeRules(baseUrl, rules);
}

const burstLine = (b: BurstFigures) =>
  `lag p50 ${b.lagP50Ms} / p99 ${b.lagP99Ms} / max ${b.lagMaxMs} ms; a job p50 ${b.jobP50Ms} / p99 ${b.jobP99Ms} ms; CPU ${b.cpuUsPerJob} µs per job`;

function idleActors(app: INestApplication, count: number): { count: number; kbEach: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const registry = app.get(ActorRegistry);
  const ids = Array.from({ length: count }, () => randomUUID());
  gc();
  const before = process.memoryUsage().rss;
  for (const id of ids) registry.actorOf(id, 'bench');
  gc();
  const after = process.memoryUsage().rss;
  if (registry.size < count) throw new Error(`only ${registry.size} of ${count} actors live`);
  return { count: registry.size, kbEach: round(Math.max(0, after - before) / count / 1024, 2) };
}

// One job at a time so that every model call in flight belongs to the measured job: the loop's
// time minus the time spent waiting for the model's HTTP answers, per model step.
async function stepOverhead(
  app: INestApplication,
  jobs: number,
): Promise<{ p50: number; p99: number; cpuMs: number; stepsPerJob: number }> {
  let modelMs = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = timedFetch(realFetch, (ms) => (modelMs += ms));
  const loop = app.get(AgentLoopService);
  const run = loop.run.bind(loop);
  const perStep: number[] = [];
  let steps = 0;
  let allSteps = 0;
  let cpu = process.cpuUsage();
  let done = deferred();
  loop.run = async (...args) => {
    modelMs = 0;
    const t = performance.now();
    const outcome = await run(...args);
    const total = performance.now() - t;
    if (outcome.ok) {
      steps = outcome.result.steps ?? 1;
      perStep.push((total - modelMs) / steps);
      allSteps += steps;
    }
    setImmediate(done.resolve);
    return outcome;
  };
  try {
    const agent = await app.get(AgentsService).create(LOCAL_OWNER, { name: 'stepper', role: 'a benchmark agent' });
    const submit = app.get(JobsService);
    for (let i = 0; i < jobs + 10; i++) {
      done = deferred();
      await submit.submit(LOCAL_OWNER, { agentId: agent.id, input: `STEP ${i}` });
      await within(done.promise, 30_000);
      if (i < 10) {
        perStep.length = 0; // warm-up
        allSteps = 0;
        cpu = process.cpuUsage();
      }
    }
  } finally {
    globalThis.fetch = realFetch;
    loop.run = run;
  }
  const used = process.cpuUsage(cpu);
  perStep.sort((a, b) => a - b);
  return {
    p50: round(percentile(perStep, 50), 2),
    p99: round(percentile(perStep, 99), 2),
    cpuMs: round((used.user + used.system) / 1000 / Math.max(1, allSteps), 2),
    stepsPerJob: steps,
  };
}

// The floor of stepOverhead: the bare AI SDK's own time per model call, measured the same way (one
// job at a time, the model's HTTP answers' time taken off) on the act step of the STEP jobs
// (generateText with the ACT prompt and the agent's default tools: `remember` called, then the answer),
// with nothing around it: no store, no bus, no events. The p50 of the per-call times.
async function sdkStepOverhead(llmUrl: string, jobs: number): Promise<number> {
  const state = { learnings: [] as string[] };
  // The tools the benchmark's agent has (the built-in defaults): their schemas go in every request.
  const tools = toAiTools(toolsFor(null), () => ({ state }) as unknown as ToolContext);
  let modelMs = 0;
  const fetch = timedFetch(globalThis.fetch, (ms) => (modelMs += ms));
  const sdkModel = createOpenAI({ baseURL: llmUrl, apiKey: 'fake', name: 'bench', fetch }).chat('fake-model');
  const perCall: number[] = [];
  for (let i = 0; i < jobs + 10; i++) {
    modelMs = 0;
    const t = performance.now();
    const r = await generateText({
      model: sdkModel,
      system: `You are stepper, a benchmark agent.\n\n${ACT_INSTRUCTIONS}`,
      messages: [{ role: 'user', content: `STEP ${i}` }],
      tools,
      maxRetries: 0,
      stopWhen: stepCountIs(5),
    });
    if (i >= 10) perCall.push((performance.now() - t - modelMs) / r.steps.length);
  }
  perCall.sort((a, b) => a - b);
  return round(percentile(perCall, 50), 2);
}

/** `base`, each answer read whole (the model's time ends there) and its time handed to `took`. */
function timedFetch(base: typeof fetch, took: (ms: number) => void): typeof fetch {
  return recordingFetch(base, (call) => took(call.end - call.start), { cpu: false });
}

// A step's cost against the job's history, by the stepOverhead method applied to each step: in
// long jobs (LONG_STEPS tool calls, then the answer; planning off), one at a time, the loop's own
// wall time between the end of one model answer and the start of the next request (the step's
// tool, its context and event writes, the budget check, building the next request). Steps whose
// history is 7-15 messages vs 193-201; the figure is the ratio of their medians.
async function stepGrowth(
  app: INestApplication,
  llmUrl: string,
  jobs: number,
): Promise<{ at10: number; at200: number; ratio: number; cpuAt10: number; cpuAt200: number }> {
  const calls: ModelCall[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = recordingFetch(realFetch, (call) => calls.push(call));
  const loop = app.get(AgentLoopService);
  const run = loop.run.bind(loop);
  let done = deferred();
  loop.run = async (...args) => {
    const outcome = await run(...args);
    setImmediate(() =>
      outcome.ok ? done.resolve() : done.reject(new Error(`a long job did not complete: ${JSON.stringify(outcome)}`)),
    );
    return outcome;
  };
  const gaps = new HistoryGaps();
  try {
    const agent = await app.get(AgentsService).create(LOCAL_OWNER, {
      name: 'long-stepper',
      role: 'a benchmark agent',
      loop: { planning: false, maxSteps: 1_000, maxTokens: 100_000_000 },
    });
    const queue = app.get(JobsService);
    for (let i = 0; i < jobs + 1; i++) {
      await script(llmUrl); // the long rule's count starts again
      calls.length = 0;
      done = deferred();
      await queue.submit(LOCAL_OWNER, { agentId: agent.id, input: `LONG ${i}` });
      await within(done.promise, 120_000);
      if (calls.length !== LONG_STEPS + 1) throw new Error(`a long job made ${calls.length} model calls`);
      if (i > 0) gaps.add(calls); // the first is a warm-up
    }
  } finally {
    globalThis.fetch = realFetch;
    loop.run = run;
  }
  return gaps.figures();
}

// The floor of stepGrowth: the bare AI SDK's own time between one model answer and its next
// request, in the same long jobs (its multi-step loop with the agent's default tools and the act
// prompt, the scripted model's LONG_STEPS tool calls), nothing around it; the steps compared are
// stepGrowth's. The SDK builds each request from the whole history.
async function sdkStepGrowth(llmUrl: string, jobs: number): Promise<{ at10: number; at200: number; ratio: number }> {
  const state = { learnings: [] as string[] };
  const tools = toAiTools(toolsFor(null), () => ({ state }) as unknown as ToolContext);
  const calls: ModelCall[] = [];
  const fetch = recordingFetch(globalThis.fetch, (call) => calls.push(call));
  const sdkModel = createOpenAI({ baseURL: llmUrl, apiKey: 'fake', name: 'bench', fetch }).chat('fake-model');
  const gaps = new HistoryGaps();
  for (let i = 0; i < jobs + 1; i++) {
    await script(llmUrl); // the long rule's count starts again
    calls.length = 0;
    await generateText({
      model: sdkModel,
      system: `You are long-stepper, a benchmark agent.\n\n${ACT_INSTRUCTIONS}`,
      messages: [{ role: 'user', content: `LONG ${i}` }],
      tools,
      maxRetries: 0,
      stopWhen: stepCountIs(LONG_STEPS + 1),
    });
    if (calls.length !== LONG_STEPS + 1) throw new Error(`a bare SDK long job made ${calls.length} model calls`);
    if (i > 0) gaps.add(calls); // the first is a warm-up
  }
  return gaps.figures();
}

interface ModelCall {
  start: number;
  end: number;
  cpuStart: number;
  cpuEnd: number;
}

/**
 * `base`, each call's wall and process CPU times handed to `done`: from the request to the whole
 * answer read (the model's time ends there). CPU beside wall time: on a busy machine the wall time
 * includes waiting for a core. `cpu: false` reads no CPU time (0): reading it is a system call
 * (~80 µs on a slow VM) that would count as the loop's own time after each answer.
 */
function recordingFetch(base: typeof fetch, done: (call: ModelCall) => void, o = { cpu: true }): typeof fetch {
  const cpuMs = () => {
    if (!o.cpu) return 0;
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  return (async (...args: Parameters<typeof fetch>) => {
    const call = { start: performance.now(), end: 0, cpuStart: cpuMs(), cpuEnd: 0 };
    const res = await base(...args);
    const body = await res.arrayBuffer();
    call.end = performance.now();
    call.cpuEnd = cpuMs();
    done(call);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
}

/**
 * The gaps between a long job's model calls (the end of one answer to the next request), by the
 * history the next request carries: after call k (from 0) the stored history holds 3 + 2k
 * messages; the steps at 7-15 messages against those at 193-201, medians.
 */
class HistoryGaps {
  private readonly wall: [number[], number[]] = [[], []];
  private readonly cpu: [number[], number[]] = [[], []];

  add(calls: ModelCall[]): void {
    for (let k = 0; k + 1 < calls.length; k++) {
      const history = 3 + 2 * k;
      const at = history >= 7 && history <= 15 ? 0 : history >= 193 ? 1 : undefined;
      if (at === undefined) continue;
      this.wall[at].push(calls[k + 1]!.start - calls[k]!.end);
      this.cpu[at].push(calls[k + 1]!.cpuStart - calls[k]!.cpuEnd);
    }
  }

  figures(): { at10: number; at200: number; ratio: number; cpuAt10: number; cpuAt200: number } {
    const median = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const [p10, p200] = this.wall.map(median) as [number, number];
    return {
      at10: round(p10, 2),
      at200: round(p200, 2),
      ratio: round(p200 / p10, 2),
      cpuAt10: round(median(this.cpu[0]), 2),
      cpuAt200: round(median(this.cpu[1]), 2),
    };
  }
}

// Jobs in flight and the event loop's lag, sampled every second: the figure is the most jobs
// that were in flight during a whole second whose lag p99 stayed under 50 ms.
async function concurrentJobs(
  app: INestApplication,
  count: number,
  timeoutMs: number,
  on: (type: string, cb: () => void) => { unsubscribe(): void },
): Promise<{ peak: number; lagP99: number; windows: string; agentIds: string[] }> {
  const agents = app.get(AgentsService);
  const ids: string[] = [];
  await pool(count, 8, async (i) => {
    ids[i] = (
      await agents.create(LOCAL_OWNER, { name: `slow-${i}`, role: 'a benchmark agent', loop: { planning: false } })
    ).id;
  });
  let active = 0;
  let least = 0; // fewest in flight during the current window
  let ended = 0;
  const all = deferred();
  const subs = [
    on('job.active', () => void active++),
    on('job.completed', () => {
      least = Math.min(least, --active);
      if (++ended === count) all.resolve();
    }),
    on('job.failed', () => all.reject(new Error('a slow job failed'))),
  ];
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const windows: Array<{ inFlight: number; lagMs: number }> = [];
  const sampler = setInterval(() => {
    windows.push({ inFlight: least, lagMs: lag.percentile(99) / 1e6 });
    lag.reset();
    least = active;
  }, 1_000);
  lag.enable();
  try {
    const jobs = app.get(JobsService);
    await pool(count, 64, async (i) => void (await jobs.submit(LOCAL_OWNER, { agentId: ids[i]!, input: `SLOW ${i}` })));
    await within(all.promise, timeoutMs).catch((e: unknown) =>
      console.error(`actors: ${ended} of ${count} slow jobs ended in time (${String(e)})`),
    );
  } finally {
    clearInterval(sampler);
    lag.disable();
    subs.forEach((s) => s.unsubscribe());
  }
  const fine = windows.filter((w) => w.lagMs < 50);
  const busiest = windows.reduce((a, b) => (b.inFlight > a.inFlight ? b : a), { inFlight: 0, lagMs: 0 });
  return {
    peak: fine.reduce((m, w) => Math.max(m, w.inFlight), 0),
    lagP99: round(busiest.lagMs, 1),
    windows: `${busiest.inFlight} in flight at most (lag p99 ${round(busiest.lagMs, 1)} ms then)`,
    agentIds: ids,
  };
}
