import { createOpenAI } from '@ai-sdk/openai';
import type { EntityManager } from 'typeorm';
import { PriceTable } from '@wiz/llm';
import { AgentEntity, JobEntity } from '@wiz/persistence';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { ACT_INSTRUCTIONS } from '../../libs/agent/src/loop/prompts';
import { ContextStore } from '../../libs/agent/src/loop/context.store';
import { remember } from '../../libs/agent/src/tools/core/remember.tool';
import { toAiTools } from '../../libs/agent/src/tools/registry';
import type { ToolBox, ToolRun } from '../../libs/agent/src/tools/tool-box';
import type { ToolRunContext } from '../../libs/agent/src/tools/tool';
import { LoopRun } from '../../libs/agent/src/loop/run/loop-run';
import type { Write } from '../../libs/agent/src/loop/run/loop-outcome';
import type { RunDeps } from '../../libs/agent/src/loop/run/run-state';

const ACT = ACT_INSTRUCTIONS.split('\n')[0]!;
/** Resolves once `check` holds, asked at every turn of the event loop (in-process state). */
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setImmediate(r));
};
// `remember` as a tool with effects outside the run would be: it waits for the saves.
const { local: _local, ...external } = remember;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
};

// A step's save commits while the next model call goes out (the model, not the store, is what a
// step waits for), yet the next step's tools wait for it, and a save that fails stops the run
// with its error. The real AI SDK against the scripted model; the journal's transactions are
// held and released (or failed) by the test, to put each in the order asked.
describe('LoopRun saves', () => {
  const llm = new FakeLlmServer();
  // `notes` tool-call steps (remember n1, n2, …), then the answer.
  const rules = (notes: number) =>
    llm.setRules([
      ...Array.from({ length: notes }, (_, i) => ({
        match: { systemContains: ACT },
        reply: { toolCalls: [{ name: 'remember', arguments: { note: `n${i + 1}` } }] },
        times: 1,
      })),
      { match: { systemContains: ACT }, reply: { content: 'done' } },
    ]);
  let baseURL: string;
  beforeAll(async () => {
    baseURL = await llm.start();
  });
  afterAll(() => llm.stop());

  /**
   * A run whose n-th model request and n-th commit are announced on `log`; commits wait for
   * `gate(n)`. Its tool is `remember`, local (it changes only the run's context) or not.
   */
  function harness(gate: (n: number) => Promise<void>, o: { local?: boolean; notes?: number } = {}) {
    rules(o.notes ?? 2);
    const log: string[] = [];
    const saved: string[][] = [];
    const requested = Array.from({ length: 6 }, deferred);
    const answered = Array.from({ length: 6 }, deferred);
    let requests = 0;
    let commits = 0;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const n = ++requests;
      log.push(`request ${n}`);
      requested[n - 1]?.resolve();
      const res = await globalThis.fetch(input, init);
      const body = await res.arrayBuffer(); // the whole answer is in: the SDK goes on from here
      answered[n - 1]?.resolve();
      return new Response(body, res);
    };
    const model = createOpenAI({ baseURL, apiKey: 'k', fetch }).chat('fake-model');
    const job = Object.assign(new JobEntity(), {
      id: crypto.randomUUID(),
      ownerId: 'o',
      agentId: crypto.randomUUID(),
      input: 'a task',
      data: null,
      attemptLog: [{ attempt: 1 }],
    });
    const agent = Object.assign(new AgentEntity(), { id: job.agentId, name: 'a', role: 'tester', model: {} });
    const m = {} as EntityManager;
    const journal = {
      commit: async (write: Write) => {
        const n = ++commits;
        log.push(`commit ${n}`);
        await gate(n);
        await write(m, { event: (e) => log.push(e.type), command: () => undefined });
        log.push(`committed ${n}`);
      },
      commitSave: (_ctx: unknown, write: (withCommit: boolean) => Write) => journal.commit(write(true)),
      // What each save wrote of the context: its snapshot's learnings.
      saveContext: async (_ctx: unknown, _m: unknown, _o: unknown, snap: { learnings: string[] }) =>
        void saved.push(snap.learnings),
      snapshot: (ctx: { state: { learnings: string[] } }) => ({ learnings: [...ctx.state.learnings] }),
      saveUsage: async () => undefined,
      promote: async () => undefined,
    };
    const toolBox = {
      toolSet: (tools: never, run: ToolRun) =>
        toAiTools(
          tools,
          () => ({ state: run.state }) as ToolRunContext,
          (_t, args) => void log.push(`tool ${(args as { note: string }).note}`),
          run.ready,
        ),
    } as unknown as ToolBox;
    const deps = {
      llm: { describe: (e: unknown) => String(e) },
      journal,
      live: { streams: () => false },
      human: { unconsumedSteers: async () => [] },
      toolBox,
      tokenBatchMs: 50,
      prices: new PriceTable(),
      traceContent: false,
      budgetStop: async () => null,
    } as unknown as RunDeps;
    const budget = new AbortController();
    const run = new LoopRun(deps, {
      job,
      agent,
      ctx: new ContextStore(null as never).fresh(job),
      state: { state: null, ticket: undefined },
      model: {
        model,
        modelId: 'fake-model',
        providerName: 'fake',
        endpoint: baseURL,
        keyHint: '',
        maxRetries: 0,
        timeoutMs: 10_000,
      },
      limits: { planning: false, maxSteps: 10, maxTokens: 1_000_000, maxWallMs: 60_000, maxIterations: 1 },
      signal: budget.signal,
      budget,
      tools: [o.local ? remember : external],
      policies: { agent: null, owner: null },
      steered: false,
      steering: { waiting: async () => false },
    });
    return { run, log, saved, requested, answered };
  }

  it("sends the next model call while a step's save commits, and runs the next step's tool (not local) after it", async () => {
    const held = deferred();
    const { run, log, requested, answered } = harness((n) => (n === 1 ? held.promise : Promise.resolve()));
    const driven = run.drive();
    await requested[1]!.promise; // the second call went out with the first save still open
    // Its answer in, a few turns of the event loop for the SDK to act on it: its tool waits.
    await answered[1]!.promise;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['request 1', 'tool n1', 'commit 1', 'request 2']);
    held.resolve();
    const outcome = await driven;
    expect(outcome).toMatchObject({ ok: true, result: { text: 'done', steps: 3 } });
    // Save 1's events, then tool n2 (it waited for them); save 2 was started before request 3.
    expect(log.slice(0, 10)).toEqual([
      'request 1',
      'tool n1',
      'commit 1',
      'request 2',
      'tool.called',
      'tool.result',
      'agent.step',
      'committed 1',
      'tool n2',
      'commit 2',
    ]);
    expect(log.indexOf('request 3')).toBeGreaterThan(log.indexOf('commit 2'));
    // Committed before the run ended; the last step's save is the runner's (with the completion).
    expect(log.indexOf('committed 2')).toBeGreaterThan(0);
    expect(log).not.toContain('commit 3');
    expect(run.final).toBeDefined();
    expect(run.ctx.state.learnings).toEqual(['n1', 'n2']);
  });

  /** Runs the runner's last write (the loop's last save, with the queued ones): its events, in order. */
  const writeFinal = async (run: LoopRun): Promise<string[]> => {
    const events: string[] = [];
    await run.final!({} as EntityManager, { event: (e) => void events.push(e.type), command: () => undefined });
    return events;
  };

  it('runs a local tool while the save before it commits; each save writes the context as it was when it started', async () => {
    const held = deferred();
    const { run, log, saved, answered } = harness((n) => (n === 1 ? held.promise : Promise.resolve()), {
      local: true,
    });
    const driven = run.drive();
    await answered[2]!.promise;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    // Both tools ran and the third call went out with the first save still open; the step after
    // it waits for that save (the store is at most two steps behind), and the second save waits
    // for the first.
    expect(log).toEqual(['request 1', 'tool n1', 'commit 1', 'request 2', 'tool n2', 'request 3']);
    held.resolve();
    expect(await driven).toMatchObject({ ok: true, result: { text: 'done', steps: 3 } });
    // The loop ended with the second save queued: no transaction of its own, it goes with the
    // last save (the runner's, with the job's completion), its events before the last step's.
    expect(log.slice(6)).toEqual(['tool.called', 'tool.result', 'agent.step', 'committed 1']);
    expect(await writeFinal(run)).toEqual(['tool.called', 'tool.result', 'agent.step', 'agent.step']);
    // The first save wrote n1 only, though n2 was remembered before it ran.
    expect(saved).toEqual([['n1'], ['n1', 'n2']]);
    expect(run.ctx.state.learnings).toEqual(['n1', 'n2']);
  });

  it('leaves out of the last save the saves queued behind one that failed', async () => {
    const failed = deferred();
    const { run, log, answered } = harness((n) => (n === 1 ? failed.promise : Promise.resolve()), { local: true });
    const driven = run.drive();
    await answered[2]!.promise;
    await until(() => run.final !== undefined); // the second save was queued, then taken with the last
    failed.reject(new Error('the store went away'));
    await expect(driven).rejects.toThrow('the store went away');
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit 1']);
    // Should the runner still write the last save (its own reason to end), none after the failed one goes with it.
    expect(await writeFinal(run)).toEqual(['agent.step']);
  });

  it('stops at the step after a save that failed, with its error', async () => {
    const failed = deferred();
    const { run, log, requested } = harness((n) => (n === 1 ? failed.promise : Promise.resolve()));
    const driven = run.drive();
    await requested[1]!.promise;
    failed.reject(new Error('the store went away'));
    await expect(driven).rejects.toThrow('the store went away');
    // The call in flight when the save failed was the last one; its tool did not run.
    expect(log).toEqual(['request 1', 'tool n1', 'commit 1', 'request 2']);
    expect(run.ctx.state.learnings).toEqual(['n1']);
  });
  it('commits the saves started while a transaction runs together in the next one', async () => {
    const held = deferred();
    const { run, log, saved } = harness((n) => (n === 1 ? held.promise : Promise.resolve()), {
      local: true,
      notes: 3,
    });
    const driven = run.drive();
    await until(() => log.includes('request 4'));
    held.resolve();
    expect(await driven).toMatchObject({ ok: true, result: { text: 'done', steps: 4 } });
    // Steps 2 and 3 saved in one transaction, after the first: its context the last taken.
    expect(log.filter((l) => /^commit \d/.test(l))).toEqual(['commit 1', 'commit 2']);
    expect(log.slice(log.indexOf('commit 2'))).toEqual([
      'commit 2',
      ...['tool.called', 'tool.result', 'agent.step'],
      ...['tool.called', 'tool.result', 'agent.step'],
      'committed 2',
    ]);
    expect(saved).toEqual([['n1'], ['n1', 'n2', 'n3']]);
  });

  it('takes no save after one that failed, and waits for none', async () => {
    const failed = deferred();
    const { run, log } = harness((n) => (n === 1 ? failed.promise : Promise.resolve()), { local: true });
    const driven = run.drive();
    await until(() => log.includes('commit 1'));
    failed.reject(new Error('the store went away'));
    await expect(driven).rejects.toThrow('the store went away');
    // A save asked for after the failure is dropped, and waiting for the saves ends at once.
    const internals = run as unknown as { saveSoon(): void; saved(): Promise<void> };
    internals.saveSoon();
    await expect(internals.saved()).rejects.toThrow('the store went away');
    expect(log.filter((l) => /^commit \d/.test(l))).toEqual(['commit 1']);
  });

  it('commits no save after one that failed, local tools or not, and stops with its error', async () => {
    const failed = deferred();
    const { run, log, saved, answered } = harness((n) => (n === 1 ? failed.promise : Promise.resolve()), {
      local: true,
    });
    const driven = run.drive();
    await answered[1]!.promise;
    failed.reject(new Error('the store went away'));
    await expect(driven).rejects.toThrow('the store went away');
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit 1']);
    expect(saved).toEqual([]);
  });
});
