import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface BuildSnapshot {
  root: string;
  remove(): void;
}

/**
 * A private copy of `dist/` (with `node_modules` linked beside it), so that every process a test
 * starts, restarts included, runs the same build even if `npm run build` runs again meanwhile.
 * A copy taken mid-build (a `require("@wiz/…")` that tsc-alias has not rewritten yet, or a
 * missing entry) is taken again until it is whole.
 */
export async function snapshotBuild(timeoutMs = 60_000): Promise<BuildSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const root = mkdtempSync(join(tmpdir(), 'wiz-build-'));
    const remove = () => rmSync(root, { recursive: true, force: true });
    let problem: string | null;
    try {
      cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
      problem = incomplete(join(root, 'dist'));
    } catch (e) {
      problem = String(e);
    }
    if (!problem) return { root, remove };
    remove();
    if (Date.now() > deadline) throw new Error(`no complete build in dist/ (run \`npm run build\`): ${problem}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function incomplete(dist: string): string | null {
  for (const entry of ['gateway', 'runtime']) {
    if (!existsSync(join(dist, 'apps', entry, 'src', 'main.js'))) return `dist/apps/${entry}/src/main.js is missing`;
  }
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('.js') && readFileSync(join(dist, file), 'utf8').includes('require("@wiz/')) return `${file} is not rewritten yet`;
  }
  return null;
}

// Like test/support/wiz-process.ts, but runs an entry of a build snapshot.
export class BuiltProcess {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly build: BuildSnapshot,
    readonly entry: 'gateway' | 'runtime',
    readonly env: Record<string, string>,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.env['PORT']}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(process.execPath, [join(this.build.root, 'dist', 'apps', this.entry, 'src', 'main.js')], {
      cwd: this.build.root,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    this.child = child;
  }

  /** Resolves when /health answers 200; rejects with the process output if it exits or times out. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited!.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      const ok = await fetch(`${this.baseUrl}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.entry} did not become healthy:\n${this.output.join('')}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}
