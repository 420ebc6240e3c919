import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { parseConfig, WizConfig } from '@wiz/config';

// The benchmark talks to the machine's own NATS and Postgres only (loopback, like the tests).
export const BENCH_NATS_URL = 'nats://127.0.0.1:4222';
export const BENCH_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
// Wiz refuses DATABASE_URL without WIZ_SECRET_KEY: every Postgres-backed bench process sets this one.
export const BENCH_SECRET_KEY = 'bench-secret-key-with-at-least-32-chars';
const ROOT = join(__dirname, '..', '..');

export interface Isolation {
  prefix: string;
  schema: string;
}

// Every run gets its own bus prefix and Postgres schema, so a run never sees another's data and
// cleanup removes exactly what it created.
export function isolation(label = ''): Isolation {
  const id = `${label}${randomBytes(4).toString('hex')}`;
  return { prefix: `bench${id}`, schema: `bench_${id}` };
}

/** A run's streams, its KV buckets' (`KV_<prefix>_…`: leases, live interest) included. */
export async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: BENCH_NATS_URL, name: 'wiz-bench-cleanup' });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) {
      const name = s.config.name;
      if (name.startsWith(`${prefix}_`) || name.startsWith(`KV_${prefix}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url: BENCH_PG_URL });
  await ds.initialize();
  try {
    await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await ds.destroy();
  }
}

// Undo steps run last-in first-out, all of them, even when one fails or the run was interrupted.
export class Cleanup {
  private readonly steps: Array<{ what: string; run: () => Promise<unknown> }> = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async run(): Promise<string[]> {
    const errors: string[] = [];
    for (let s = this.steps.pop(); s; s = this.steps.pop()) {
      await withTimeout(s.run(), 15_000, s.what).catch((e: unknown) => errors.push(`${s!.what}: ${message(e)}`));
    }
    return errors;
  }
}

export interface FakeLlm {
  baseUrl: string;
  stop(): Promise<void>;
  /** Synchronous, for `process.on('exit')`. */
  kill(): void;
}

// The project's scripted OpenAI-compatible server as a child process (built by `npm run build`).
// With no script its reply is an echo of the prompt: a model that costs next to nothing.
export async function startFakeLlm(): Promise<FakeLlm> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'fake-llm', 'src', 'main.js'), '--port', '0'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const kill = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM'));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await withTimeout(exited, 5_000, 'fake-llm exit').catch(() => child.kill('SIGKILL'));
  };
  try {
    const baseUrl = await withTimeout(listeningUrl(child), 10_000, 'fake-llm start');
    return { baseUrl, stop, kill };
  } catch (e) {
    await stop();
    throw e;
  }
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`fake-llm exited with ${code} before listening:\n${out}`)));
  });
}

export function connectBench(name: string): Promise<NatsConnection> {
  return connect({ servers: BENCH_NATS_URL, name });
}

/** Runs `work(i)` for i in [0, count) with at most `limit` calls in flight, until `stopped()`. */
export async function pool(
  count: number,
  limit: number,
  work: (i: number) => Promise<void>,
  stopped = () => false,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count && !stopped(); i = next++) await work(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A promise settled from outside: how the suites wait for "all N done" or a failure. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Profiles this process's main thread until the returned function writes the .cpuprofile. */
export async function startCpuProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    console.error(`bench: CPU profile of the measured phase written to ${file}`);
  };
}

/** CPU time (user + system) this process spent since `since`, in µs. */
export function cpuSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

export class TimeLimitError extends Error {}

/** Waits for a phase's work, failing when the run is interrupted or after `ms`. */
export function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return withTimeout(Promise.race([work, interruption]), ms, 'phase');
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new TimeLimitError(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

// Interruptions (Ctrl-C, SIGTERM) fail the run like any error, so the normal cleanup path runs.
const interrupted = deferred<never>();
interrupted.promise.catch(() => undefined);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted.reject(new Error(`interrupted by ${sig}`));
    // Never hang on a stuck cleanup after an interruption.
    setTimeout(() => process.exit(130), 60_000).unref();
  });
}
export const interruption = interrupted.promise;

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** The runtime's admission limit, if the bench runs with one (`WIZ_ADMIT_MAX_LAG_MS=0 npm run bench`: ungated). */
export function admissionFromEnv(): Record<string, string> {
  const v = process.env['WIZ_ADMIT_MAX_LAG_MS'];
  return v === undefined ? {} : { WIZ_ADMIT_MAX_LAG_MS: v };
}

// The server's environment in a bench: this run's isolation, the scripted model at `llmUrl`;
// dataDir set: the embedded SQLite store in it, else Postgres.
export function benchEnv(iso: Isolation, llmUrl: string, dataDir = ''): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NATS_URL: BENCH_NATS_URL,
    WIZ_NATS_AUTOSTART: 'false',
    WIZ_BUS_PREFIX: iso.prefix,
    DATABASE_URL: dataDir ? '' : BENCH_PG_URL,
    WIZ_SECRET_KEY: dataDir ? '' : BENCH_SECRET_KEY,
    WIZ_DATA_DIR: dataDir || './data',
    WIZ_DB_SCHEMA: iso.schema,
    OPENAI_BASE_URL: llmUrl,
    OPENAI_API_KEY: 'fake',
    WIZ_DEFAULT_MODEL: 'fake-model',
    WIZ_LLM_MAX_RETRIES: '0',
    // The actors suite gives each of its `--concurrent` (2,000) slow jobs an agent of its own.
    WIZ_MAX_AGENTS_PER_OWNER: '1000000',
    // After a failed run, hand unfinished jobs back quickly: their stream is deleted anyway.
    WIZ_SHUTDOWN_GRACE_MS: '1000',
    // No one follows these jobs' topics: unstreamed calls, unless the bench runs with WIZ_LIVE_TOKENS=always.
    WIZ_LIVE_TOKENS: process.env['WIZ_LIVE_TOKENS'] ?? 'subscribed',
    ...admissionFromEnv(),
    PATH: process.env['PATH'] ?? '',
  };
}

export function benchConfig(iso: Isolation, llmUrl: string, dataDir = ''): WizConfig {
  return parseConfig(benchEnv(iso, llmUrl, dataDir));
}

/** A JSON request to a server's REST API; throws unless it answers `expect`. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  expect = method === 'POST' ? [200, 201, 202] : [200],
): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!expect.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Stops a child process: SIGTERM, then SIGKILL after 5 s. */
/** Replaces the scripted model's rules (its admin endpoint). */
export async function setFakeRules(baseUrl: string, rules: unknown[]): Promise<void> {
  const r = await fetch(`${baseUrl.replace(/\/v1$/, '')}/_fake/rules`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rules),
  });
  if (!r.ok) throw new Error(`fake-llm rules refused: ${await r.text()}`);
}
