// The contract's named values that need no schema, and all that the web console and the typed
// client use at run time. No zod here: a bundle that imports only these (and types) leaves the
// schemas out (apps/console/vite.config.ts marks this library free of side effects).

// Every status a job can be in (docs/glossary.md, "Job status"). A job is born waiting, delayed
// or queued, runs active, may wait on its children, and ends completed, failed or cancelled.
export const JOB_STATUSES = [
  'waiting',
  'queued',
  'delayed',
  'active',
  'waiting-children',
  /** Parked on a person (approval, question) or an outside signal: see human-input.schema.ts. */
  'waiting-input',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(s);

export const MISSED_RUN_POLICIES = ['skip', 'run-once', 'run-all'] as const;
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

/** What an agent does with a person's message while its previous answer in that conversation is unfinished. */
export const DOUBLE_TEXTING_POLICIES = ['queue', 'reject', 'interrupt'] as const;

/** Close codes the server uses, beside the standard ones. */
export const WS_CLOSE_CODES = {
  /** The send buffer went over WIZ_WS_MAX_BUFFERED_BYTES: reconnect and resume with `since`. */
  tooSlow: 1013,
  /** Invalid API key, or no `auth` frame in time when authentication is on. */
  unauthorized: 4401,
  /** A frame over WIZ_WS_MAX_FRAME_BYTES (standard "message too big"). */
  tooBig: 1009,
  /** Kept sending frames faster than WIZ_WS_FRAMES_PER_SEC after an error frame said so. */
  tooManyFrames: 4429,
} as const;
