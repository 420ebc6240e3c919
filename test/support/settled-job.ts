import type { HttpResult } from './http';
import { until } from './until';

export interface SettledJob {
  status: string;
  result?: { text: string };
  failureReason?: string;
}

type Api = (method: string, path: string, body?: unknown) => Promise<HttpResult>;

/** Polls `GET /jobs/:id` until the job completed or failed (`timeoutMs`), and returns it as last seen. */
export async function settledJob(api: Api, jobId: string, timeoutMs = 20_000): Promise<SettledJob> {
  let seen: SettledJob = { status: '' };
  await until(
    async () => {
      seen = (await api('GET', `/api/v1/jobs/${jobId}`)).body as SettledJob;
      return seen.status === 'completed' || seen.status === 'failed';
    },
    timeoutMs,
    `job ${jobId} settled`,
    () => JSON.stringify(seen),
  );
  return seen;
}
