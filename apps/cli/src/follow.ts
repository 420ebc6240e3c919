import type { Job } from '@wiz/contracts';
import { isTerminal } from '@wiz/contracts/vocabulary';
import type { AnyEvent, WizClient } from '@wiz/client';

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
const short = (v: unknown, n = 120) => {
  const s = JSON.stringify(v) ?? '';
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

/** A job's event as one line for people (on stderr, so stdout holds the answer only). */
export function describe(e: AnyEvent): string | null {
  switch (e.type) {
    case 'job.active':
      return `· started (attempt ${e.data.attempt})`;
    case 'agent.step':
      return `· ${e.data.phase} step ${e.data.step}${e.data.finishReason ? ` (${e.data.finishReason})` : ''}`;
    case 'tool.called':
      return `→ ${e.data.tool} ${short(e.data.args)}`;
    case 'tool.result':
      return e.data.error ? `✗ ${e.data.tool}: ${e.data.error}` : `← ${e.data.tool} ${short(e.data.result)}`;
    case 'job.validation':
      return `${e.data.passed ? '✓' : '✗'} validation ${e.data.passed ? 'passed' : `failed: ${e.data.feedback}`}`;
    case 'job.progress':
      return `· ${e.data.progress}%`;
    case 'job.waiting-children':
      return `· waiting for ${e.data.children} delegated job(s)`;
    case 'job.retrying':
      return `· retrying: ${e.data.error}`;
    case 'job.failed':
      return `✗ failed: ${e.data.reason}`;
    case 'job.cancelled':
      return `✗ cancelled: ${e.data.reason}`;
    default:
      return null;
  }
}

/**
 * Follows a job from its first event until it ends: tokens to stdout as they stream, steps to
 * stderr (or every event as a JSON line with `json`). Resolves with the ended job.
 */
export async function followJob(client: WizClient, jobId: string, json: boolean): Promise<Job> {
  // Token deltas (live) and step events (durable) travel separately and may interleave: the
  // answer on stdout is the tokens only, each model step's text kept apart to compare at the end.
  const byStep = new Map<number, string>();
  let lastStep = -1;
  let atLineStart = true;
  const sub = client.events.subscribe(`job:${jobId}`, { since: 0 });
  try {
    for await (const { event: e, seq } of sub) {
      if (json) {
        out(JSON.stringify({ seq, ...e }) + '\n');
      } else if (e.type === 'agent.token') {
        out(e.data.delta);
        byStep.set(e.data.step, (byStep.get(e.data.step) ?? '') + e.data.delta);
        lastStep = e.data.step;
        atLineStart = e.data.delta.endsWith('\n');
      } else {
        const line = describe(e);
        if (line) err(line + '\n');
      }
      if (e.type === 'job.completed' || e.type === 'job.failed' || e.type === 'job.cancelled') break;
    }
  } finally {
    sub.close();
  }
  const job = await client.jobs.get(jobId);
  if (!isTerminal(job.status)) throw new Error(`job ${jobId} is still ${job.status}`);
  if (json) return job;
  const streamed = byStep.get(lastStep) ?? '';
  if (job.result && streamed.trim() !== job.result.text.trim()) {
    if (!atLineStart) out('\n');
    out(job.result.text + '\n');
  } else if (!atLineStart) out('\n');
  return job;
}

/** The exit code of an ended job: 0 completed, 1 failed, 2 cancelled. */
export const exitCodeOf = (job: Job): number => (job.status === 'completed' ? 0 : job.status === 'cancelled' ? 2 : 1);
