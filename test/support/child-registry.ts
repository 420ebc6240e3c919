import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

// Processes the tests start (Wiz servers, private NATS servers, the CLI) are recorded in a file
// that jest's global set-up names, so that the global teardown can kill any still running when
// the run ends: a test that fails mid-way (a timeout) leaves its body running, and a child it
// started would keep jest from exiting. Outside jest (benches) nothing is recorded.
const FILE_VAR = 'WIZ_TEST_CHILDREN_FILE';

export function trackChild(child: ChildProcess): void {
  const file = process.env[FILE_VAR];
  const pid = child.pid;
  if (!file || pid === undefined) return;
  appendFileSync(file, `+${pid}\n`);
  child.once('exit', () => appendFileSync(file, `-${pid}\n`));
}

/** Global set-up: a fresh record for this run. */
export function beginChildRecord(file: string): void {
  rmSync(file, { force: true });
  process.env[FILE_VAR] = file;
}

/** Global teardown: kills the recorded children that never exited; returns their pids. */
export function killLeftChildren(): number[] {
  const file = process.env[FILE_VAR];
  if (!file || !existsSync(file)) return [];
  const alive = new Set<number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const pid = Number(line.slice(1));
    if (line.startsWith('+')) alive.add(pid);
    else if (line.startsWith('-')) alive.delete(pid);
  }
  const killed: number[] = [];
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  rmSync(file, { force: true });
  return killed;
}
