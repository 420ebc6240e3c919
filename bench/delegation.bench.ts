import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { LOCAL_OWNER } from '@wiz/platform';
import { JobExecutionService, JobsService } from '@wiz/queue';
import { AgentsService } from '@wiz/gateway';
import { BenchOptions, SuiteResult } from './suite';
import {
  Cleanup,
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
import { startBenchServer } from './server';

export interface DelegationOptions extends BenchOptions {
  /** Delegations measured one at a time. */
  delegations: number;
}

const WARMUP = 20;

// Delegation, in one process as `npm start` runs it, against the scripted model: one
// parent job at a time delegates to a child agent whose model answers at once. Measured: from
// the parent's park (committed: waiting-children, agent free, child created) to the parent
// running again — the child's command through the bus, its run and completion, the parent's
// wake-up and its new mailbox command.
export async function delegationBench(o: DelegationOptions): Promise<SuiteResult> {
  const iso = isolation('deleg');
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    cleanup.add(`drop schema ${iso.schema}`, () => dropSchema(iso.schema));
    cleanup.add(`delete streams ${iso.prefix}_*`, () => deleteStreams(iso.prefix));
    await script(llm.baseUrl);
    const { app } = await startBenchServer(cleanup, iso, llm.baseUrl);

    const execution = app.get(JobExecutionService);
    const parkedAt = new Map<string, number>();
    const trips: number[] = [];
    let done = deferred();
    const { park, start, complete } = {
      park: execution.park.bind(execution),
      start: execution.start.bind(execution),
      complete: execution.complete.bind(execution),
    };
    execution.park = async (job, wakeAt, before) => {
      const ok = await park(job, wakeAt, before);
      if (ok) parkedAt.set(job.id, performance.now());
      return ok;
    };
    execution.start = async (cmd) => {
      const r = await start(cmd);
      const t0 = parkedAt.get(cmd.jobId);
      if (r.run && t0 !== undefined) {
        trips.push(performance.now() - t0);
        parkedAt.delete(cmd.jobId);
      }
      return r;
    };
    execution.complete = async (job, result) => {
      const ok = await complete(job, result);
      if (job.input.startsWith('PARENT')) setImmediate(done.resolve);
      return ok;
    };
    const agents = app.get(AgentsService);
    const parent = await agents.create(LOCAL_OWNER, {
      name: 'Parent',
      role: 'a benchmark agent',
      loop: { planning: false },
    });
    await agents.create(LOCAL_OWNER, { name: 'Child', role: 'a benchmark agent', loop: { planning: false } });
    const jobs = app.get(JobsService);
    for (let i = 0; i < o.delegations + WARMUP; i++) {
      done = deferred();
      await jobs.submit(LOCAL_OWNER, { agentId: parent.id, input: `PARENT ${i}` });
      await within(done.promise, 30_000);
      if (i === WARMUP - 1) trips.length = 0;
    }
    trips.sort((a, b) => a - b);
    return {
      figures: {
        'delegation.roundTripMsP50': round(percentile(trips, 50), 2),
        'delegation.roundTripMsP99': round(percentile(trips, 99), 2),
      },
      context: { 'delegation: measured round trips': trips.length, 'delegation: store': 'postgres' },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

// The parent delegates, then answers with the child's result; the child answers at once.
async function script(baseUrl: string): Promise<void> {
  const rules = [
    {
      match: { systemContains: 'You are Parent,', hasToolResult: false },
      reply: { toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'Child', task: 'CHILD work' } }] },
    },
    { match: { systemContains: 'You are Parent,' }, reply: { content: 'done' } },
    { match: { systemContains: 'You are Child,' }, reply: { content: 'ok' } },
  ];
  await setFakeRules(baseUrl, rules);
}
