import 'reflect-metadata';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { actorsBench } from './actors.bench';
import { clusterBench } from './cluster.bench';
import { consoleBench } from './console.bench';
import { conversationsBench } from './conversations.bench';
import { delegationBench } from './delegation.bench';
import { gatewayBench } from './gateway.bench';
import { hitlBench } from './hitl.bench';
import { limitsBench } from './limits.bench';
import { mcpBench } from './mcp.bench';
import { modelCallBench } from './model-call.bench';
import { observabilityBench } from './observability.bench';
import { peersBench } from './peers.bench';
import { queueBench } from './queue.bench';
import { rawJetStreamBench } from './raw-jetstream.bench';
import { webhooksBench } from './webhooks.bench';
import { BenchOptions, SuiteResult } from './suite';
import { message, round } from './support';

const SUITES = [
  'all',
  'queue',
  'raw',
  'peers',
  'actors',
  'gateway',
  'delegation',
  'conversations',
  'console',
  'mcp',
  'hitl',
  'webhooks',
  'observability',
  'cluster',
  'limits',
];
const USAGE = `usage: npm run bench -- [--jobs 2000] [--warmup 200] [--agents 100] [--inflight 64] [--timeout 120] [--suite ${SUITES.join('|')}] [--idle-agents 10000] [--step-jobs 200] [--growth-jobs 5] [--concurrent 2000] [--ws-clients 1000] [--events 300] [--delegations 200] [--messages 300] [--mcp-calls 300] [--approvals 200] [--webhook-events 1000] [--scale-jobs 1000] [--failover-rate 20] [--failover-seconds 30] [--peer-jobs 500] [--rounds 3] [--limit-requests 2000] [--profile file.cpuprofile]`;
const RESULTS = join(__dirname, '..', '..', 'bench', 'results');

// `npm run bench`: runs the suites, prints a table, writes bench/results/latest.{json,md}.
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '200' },
      agents: { type: 'string', default: '100' },
      inflight: { type: 'string', default: '64' },
      timeout: { type: 'string', default: '120' },
      suite: { type: 'string', default: 'all' },
      'idle-agents': { type: 'string', default: '10000' },
      'step-jobs': { type: 'string', default: '200' },
      'growth-jobs': { type: 'string', default: '5' },
      concurrent: { type: 'string', default: '2000' },
      'ws-clients': { type: 'string', default: '1000' },
      events: { type: 'string', default: '300' },
      delegations: { type: 'string', default: '200' },
      messages: { type: 'string', default: '300' },
      'mcp-calls': { type: 'string', default: '300' },
      approvals: { type: 'string', default: '200' },
      'webhook-events': { type: 'string', default: '1000' },
      'scale-jobs': { type: 'string', default: '1000' },
      'failover-rate': { type: 'string', default: '20' },
      'failover-seconds': { type: 'string', default: '30' },
      'peer-jobs': { type: 'string', default: '500' },
      rounds: { type: 'string', default: '3' },
      'limit-requests': { type: 'string', default: '2000' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const int = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, got '${String(values[name])}'\n${USAGE}`);
    return n;
  };
  const o: BenchOptions = {
    jobs: int('jobs', 1),
    warmup: int('warmup', 0),
    agents: int('agents', 1),
    inflight: int('inflight', 1),
    timeoutMs: int('timeout', 1) * 1000,
    profile: values.profile,
  };
  if (!SUITES.includes(values.suite)) throw new Error(`unknown --suite '${values.suite}'\n${USAGE}`);

  const startedAt = new Date();
  // The machine may be shared: a busy one at the start explains a slow run.
  const busyAtStart = await machineBusy(1_000);
  const results: SuiteResult[] = [];
  const failures: string[] = [];
  // A suite that fails is reported and the others still run: one slow suite never hides the rest.
  const suite = async (name: string, run: () => Promise<SuiteResult[]>) => {
    if (values.suite !== 'all' && values.suite !== name) return;
    try {
      results.push(...(await run()));
    } catch (e) {
      failures.push(`${name}: ${message(e)}`);
      console.error(`bench: suite ${name} failed: ${message(e)}`);
    }
  };
  await suite('queue', async () => {
    const pg = await queueBench({ ...o, store: 'postgres' });
    // The embedded default (`npm start` without DATABASE_URL), reported beside it.
    const sqlite = await queueBench({ ...o, store: 'sqlite', profile: undefined });
    const rename = (r: Record<string, number | string>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/^queue\./, 'queue.sqlite.'), v]));
    return [pg, { ...sqlite, figures: rename(sqlite.figures) as Record<string, number>, context: {} }];
  });
  await suite('raw', async () => [await rawJetStreamBench(o), await modelCallBench(o)]);
  await suite('peers', async () => [
    await peersBench({
      ...o,
      jobs: int('peer-jobs', 1),
      rounds: int('rounds', 1),
      // Profiling slows the servers down: only when this suite is run alone.
      profile: values.suite === 'peers' ? o.profile : undefined,
    }),
  ]);
  await suite('actors', async () => [
    await actorsBench({
      ...o,
      idleAgents: int('idle-agents', 1),
      stepJobs: int('step-jobs', 1),
      growthJobs: int('growth-jobs', 1),
      concurrent: int('concurrent', 1),
    }),
  ]);
  await suite('gateway', async () => [
    await gatewayBench({ ...o, clients: int('ws-clients', 1), events: int('events', 1) }),
  ]);
  await suite('delegation', async () => [await delegationBench({ ...o, delegations: int('delegations', 1) })]);
  await suite('conversations', async () => [await conversationsBench({ ...o, jobs: int('messages', 1) })]);
  await suite('console', async () => [await consoleBench(o)]);
  await suite('mcp', async () => [await mcpBench({ ...o, calls: int('mcp-calls', 1) })]);
  await suite('hitl', async () => [await hitlBench({ ...o, approvals: int('approvals', 1) })]);
  await suite('webhooks', async () => [await webhooksBench({ ...o, events: int('webhook-events', 1) })]);
  await suite('observability', async () => [await observabilityBench(o)]);
  await suite('cluster', async () => [
    await clusterBench({
      ...o,
      scaleJobs: int('scale-jobs', 1),
      failoverRate: int('failover-rate', 1),
      failoverSeconds: int('failover-seconds', 3),
    }),
  ]);
  await suite('limits', async () => [await limitsBench({ ...o, requests: int('limit-requests', 1) })]);
  const figures: Record<string, number> = Object.assign({}, ...results.map((r) => r.figures));
  const jobsPerSec = figures['queue.jobsPerSec'];
  const rawPerSec = figures['queue.rawJetStreamPerSec'];
  if (jobsPerSec !== undefined && rawPerSec !== undefined)
    figures['queue.ratioToRawJetStream'] = round(jobsPerSec / rawPerSec, 3);
  const callsPerSec = figures['queue.modelCallsPerSec'];
  // What the model call alone would allow, on the same scale as the target.
  if (callsPerSec !== undefined && rawPerSec !== undefined)
    figures['queue.modelCallRatioToRawJetStream'] = round(callsPerSec / rawPerSec, 3);

  const context: Record<string, string | number> = {
    'jobs (N, measured)': o.jobs,
    'warm-up jobs': o.warmup,
    agents: o.agents,
    'submissions in flight': o.inflight,
    ...Object.assign({}, ...results.map((r) => r.context)),
    node: process.version,
    CPUs: cpus().length,
    'machine CPU busy before the run': `${busyAtStart}%`,
    ...(failures.length ? { 'failed suites': failures.join('; ') } : {}),
    date: startedAt.toISOString(),
  };
  const table = markdown(figures, context);
  console.log(`\n${table}`);
  await mkdir(RESULTS, { recursive: true });
  await writeAtomically(join(RESULTS, 'latest.json'), `${JSON.stringify(figures, null, 2)}\n`);
  await writeAtomically(join(RESULTS, 'latest.md'), table);
  console.log(`written: ${join('bench', 'results', 'latest.json')}, ${join('bench', 'results', 'latest.md')}`);
  if (failures.length) throw new Error(`${failures.length} suite(s) failed:\n  ${failures.join('\n  ')}`);
}

/** Share of all CPUs' time not idle over the next `ms`, in %. */
async function machineBusy(ms: number): Promise<number> {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const times = () => ({
    idle: sum(cpus().map((c) => c.times.idle)),
    all: sum(cpus().map((c) => sum(Object.values(c.times)))),
  });
  const before = times();
  await new Promise((r) => setTimeout(r, ms));
  const after = times();
  return Math.round(100 * (1 - (after.idle - before.idle) / Math.max(1, after.all - before.all)));
}

function markdown(figures: Record<string, number>, context: Record<string, string | number>): string {
  const rows = (o: Record<string, string | number>) => Object.entries(o).map(([k, v]) => `| ${k} | ${v} |`);
  return [
    '# Wiz benchmark',
    '',
    '| figure | value |',
    '|---|---:|',
    ...rows(figures),
    '',
    '| context | |',
    '|---|---|',
    ...rows(context),
    '',
  ].join('\n');
}

// Through a .tmp file (git-ignored) so that an interrupted run never leaves half a file.
async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

main(process.argv.slice(2)).then(
  // Whatever a library left open (timers, sockets), the run is over.
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench failed: ${message(e)}`);
    process.exit(1);
  },
);
