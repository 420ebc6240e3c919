import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// CPU time of other processes on this machine (Linux /proc), for the figures that count every
// process a system uses: the Wiz server child, the machine's NATS and Postgres, a BullMQ worker.

// Clock ticks per second of /proc/<pid>/stat's utime and stime: 100 on every Linux build in use
// (`getconf CLK_TCK`); Node has no API for sysconf.
const TICKS_PER_SEC = 100;

/** utime + stime of a process (all its threads), in µs; undefined once it has exited. */
export function processCpuUs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5)
  return (ticks * 1_000_000) / TICKS_PER_SEC;
}

/**
 * CPU of a set of processes, summed: those seen at begin() from then on, and those seen at the end
 * but not at begin() (born in between, e.g. a pool's new connections) in full; a process that
 * exits in between counts what it had at the start.
 */
export class CpuMeter {
  private start = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {}

  begin(): void {
    this.start = new Map(this.pids().map((pid) => [pid, processCpuUs(pid) ?? 0]));
  }

  /** µs spent since begin(); `now`: the set's processes at the end (default: the set read again). */
  elapsedUs(now: number[] = this.pids()): number {
    let us = 0;
    for (const [pid, at] of this.start) us += (processCpuUs(pid) ?? at) - at;
    for (const pid of now) if (!this.start.has(pid)) us += processCpuUs(pid) ?? 0;
    return us;
  }
}

/** Pids whose command name (/proc/<pid>/comm) is `name`. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The pid of the process listening on TCP `port` (loopback or any address), from /proc. */
export function listeningPid(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 10 is the socket's inode.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}
