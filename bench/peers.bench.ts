import { modelCaller } from './model-call';
import { sdkLoopPhase } from './model-call.bench';
import { startBullmqAgent } from './peer-bullmq';
import { PhaseFigures } from './peer-phase';
import { startWizEndToEnd } from './peer-wiz';
import { BenchOptions, SuiteResult } from './suite';
import { Cleanup, message, round, startFakeLlm } from './support';

export interface PeersOptions extends BenchOptions {
  /** Interleaved rounds; each figure is the median over them. */
  rounds: number;
}

interface System {
  /** Prefix of its figures. */
  name: string;
  phase(count: number): Promise<PhaseFigures>;
}

// Issue 18's references beside Wiz, measured in the same run, each system through its public
// interface, one job = one streaming model call to the same scripted model answering at once,
// `inflight` jobs awaiting their completion at any moment:
// - peer.sdkLoop: the bare AI SDK call loop in this process (the ceiling of one thread);
// - peer.bullmqAgent: BullMQ + Redis with a worker process (concurrency = inflight);
// - queue.e2e / queue.sqlite.e2e: the Wiz server as a child process on Postgres / SQLite, REST
//   submit, completion on the WS `owner` topic;
// - queue.split.e2e: the same on Postgres with the gateway and the runtime as two processes (the
//   issue lets a runtime use every core; the BullMQ setup is two processes too).
// All systems stay up for the whole suite; after one warm-up each, `rounds` rounds run every
// system once, in an order rotated each round, so that a change in the machine's load falls on all.
export async function peersBench(o: PeersOptions): Promise<SuiteResult> {
  const cleanup = new Cleanup();
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    const call = modelCaller(llm.baseUrl);
    const bullmq = await startBullmqAgent(cleanup, llm.baseUrl, o.inflight);
    const sqlite = await startWizEndToEnd(cleanup, 'sqlite', llm.baseUrl, o.agents, profileOf(o.profile, 'sqlite'));
    const postgres = await startWizEndToEnd(cleanup, 'postgres', llm.baseUrl, o.agents, profileOf(o.profile, 'pg'));
    const split = await startWizEndToEnd(
      cleanup,
      'postgres',
      llm.baseUrl,
      o.agents,
      profileOf(o.profile, 'split'),
      'split',
    );
    const systems: System[] = [
      {
        name: 'peer.sdkLoop',
        phase: async (n) => {
          const r = await sdkLoopPhase(call, n, o.inflight, o.timeoutMs);
          return { callsPerSec: r.perSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuUsPerCall: r.cpuUsPerCall };
        },
      },
      { name: 'peer.bullmqAgent', phase: (n) => bullmq.phase(n, o.inflight, o.timeoutMs) },
      { name: 'queue.sqlite.e2e', phase: (n) => sqlite.phase(n, o.inflight, o.timeoutMs) },
      { name: 'queue.e2e', phase: (n) => postgres.phase(n, o.inflight, o.timeoutMs) },
      { name: 'queue.split.e2e', phase: (n) => split.phase(n, o.inflight, o.timeoutMs) },
    ];
    const run = async (s: System, n: number) => {
      try {
        return await s.phase(n);
      } catch (e) {
        throw new Error(`${s.name}: ${message(e)}`);
      }
    };
    if (o.warmup) for (const s of systems) await run(s, o.warmup);
    const rounds = new Map<string, PhaseFigures[]>(systems.map((s) => [s.name, []]));
    for (let r = 0; r < o.rounds; r++) {
      const order = [...systems.slice(r % systems.length), ...systems.slice(0, r % systems.length)];
      for (const s of order) {
        const f = await run(s, o.jobs);
        rounds.get(s.name)!.push(f);
        console.error(`bench: peers round ${r + 1}/${o.rounds} ${s.name}: ${JSON.stringify(f)}`);
      }
    }
    const figures: Record<string, number> = {};
    for (const [name, results] of rounds) {
      for (const key of Object.keys(results[0]!)) figures[`${name}.${key}`] = median(results.map((f) => f[key]!));
    }
    const bull = (k: string) => figures[`peer.bullmqAgent.${k}`]!;
    for (const [prefix, wiz] of [
      ['queue', 'queue.e2e'],
      ['queue.sqlite', 'queue.sqlite.e2e'],
      ['queue.split', 'queue.split.e2e'],
    ] as const) {
      figures[`${prefix}.ratioToBullmqAgent`] = round(figures[`${wiz}.jobsPerSec`]! / bull('jobsPerSec'), 3);
      figures[`${prefix}.cpuRatioToBullmqAgent`] = round(figures[`${wiz}.cpuUsPerJob`]! / bull('cpuUsPerJob'), 3);
    }
    figures['gateway.submitP50Ms'] = figures['queue.e2e.submitP50Ms']!;
    figures['gateway.sqlite.submitP50Ms'] = figures['queue.sqlite.e2e.submitP50Ms']!;
    return {
      figures,
      context: {
        'peers: jobs per system and round (measured)': o.jobs,
        'peers: rounds (figures are medians)': o.rounds,
        'peers: jobs in flight (bullmq worker concurrency)': o.inflight,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : round((s[m - 1]! + s[m]!) / 2, 2);
}

// `--profile /tmp/wiz.cpuprofile` → /tmp/wiz-pg.cpuprofile, /tmp/wiz-sqlite.cpuprofile and
// /tmp/wiz-split-gateway.cpuprofile, /tmp/wiz-split-runtime.cpuprofile.
function profileOf(file: string | undefined, store: string): string | undefined {
  return file?.replace(/(\.cpuprofile)?$/, `-${store}.cpuprofile`);
}
