import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

// The machine's NATS server (.ci/run starts it): exactly this binary and these
// arguments. Tests that restart it stop only the process listening on its port, and start it
// again with the same command.
export const LOCAL_NATS_BIN = '/usr/sbin/nats-server';
export const LOCAL_NATS_PORT = 4222;
export const LOCAL_NATS_ARGS = [
  '-a',
  '127.0.0.1',
  '-p',
  String(LOCAL_NATS_PORT),
  '-js',
  '-sd',
  '/var/lib/nats-server',
  '-l',
  '/var/log/nats-server.log',
];

export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The pid of the machine's nats-server: the process listening on 127.0.0.1:4222, checked to be that binary with those arguments. */
export async function localNatsPid(): Promise<number | null> {
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${LOCAL_NATS_PORT}`]);
  const pid = Number(/pid=(\d+)/.exec(stdout)?.[1]);
  if (!pid) return null;
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
  if (exe !== LOCAL_NATS_BIN || args.join(' ') !== LOCAL_NATS_ARGS.join(' ')) {
    throw new Error(
      `port ${LOCAL_NATS_PORT} is held by pid ${pid} (${exe} ${args.join(' ')}), not the machine's nats-server; refusing to touch it`,
    );
  }
  return pid;
}

/** Stops exactly the machine's nats-server (SIGTERM, then SIGKILL after 10 s) and waits until it is gone. */
export async function stopLocalNats(): Promise<number> {
  const pid = await localNatsPid();
  if (!pid) throw new Error(`no nats-server listens on port ${LOCAL_NATS_PORT}`);
  await run('start-stop-daemon', [
    '--stop',
    '--pid',
    String(pid),
    '--exec',
    LOCAL_NATS_BIN,
    '--retry',
    'TERM/10/KILL/5',
  ]);
  await waitPort(false, 15_000);
  return pid;
}

/** Starts the machine's nats-server with .ci/run's command (a no-op when it runs) and waits until its port accepts connections. */
export async function startLocalNats(timeoutMs = 30_000): Promise<void> {
  if (await portAccepts(LOCAL_NATS_PORT)) return;
  await run('start-stop-daemon', [
    '--start',
    '--oknodo',
    '--background',
    '--exec',
    LOCAL_NATS_BIN,
    '--',
    ...LOCAL_NATS_ARGS,
  ]);
  if (
    await waitPort(true, 10_000).then(
      () => true,
      () => false,
    )
  )
    return;
  // `--oknodo --exec` does nothing when any other nats-server runs (e.g. one a Wiz process
  // autostarted on another port): match on a pid file that does not exist instead.
  await run('start-stop-daemon', [
    '--start',
    '--background',
    '--pidfile',
    '/nonexistent/wiz-test-nats.pid',
    '--exec',
    LOCAL_NATS_BIN,
    '--',
    ...LOCAL_NATS_ARGS,
  ]);
  await waitPort(true, timeoutMs);
}

async function waitPort(open: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await portAccepts(LOCAL_NATS_PORT)) !== open) {
    if (Date.now() > deadline)
      throw new Error(`port ${LOCAL_NATS_PORT} still ${open ? 'closed' : 'open'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
