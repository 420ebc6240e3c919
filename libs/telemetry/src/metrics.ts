import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';

// Every metric Wiz exports, in the process's one prom-client registry. Prometheus naming: `wiz_`
// prefix, base units (seconds), `_total` for counters; no ids as labels (bounded cardinality).
// `wiz_queue_depth` and `wiz_queue_oldest_job_age_seconds` are read by a k8s autoscaler: never
// rename them.
export const metricsRegistry: Registry = register;

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const jobsTotal = once(
  'wiz_jobs_total',
  () => new Counter({ name: 'wiz_jobs_total', help: 'Jobs that entered a status, by status', labelNames: ['status'] }),
);
export const jobDuration = once(
  'wiz_job_duration_seconds',
  () =>
    new Histogram({
      name: 'wiz_job_duration_seconds',
      help: 'Time of one run of a job in a runtime, by how it ended',
      labelNames: ['outcome'],
      buckets: seconds,
    }),
);
export const jobsInFlight = once(
  'wiz_jobs_in_flight',
  () => new Gauge({ name: 'wiz_jobs_in_flight', help: 'Jobs this runtime is running now' }),
);
export const stepDuration = once(
  'wiz_job_step_duration_seconds',
  () =>
    new Histogram({
      name: 'wiz_job_step_duration_seconds',
      help: 'Time of one agent-loop step (model call and the tools it asked for), by phase',
      labelNames: ['phase'],
      buckets: seconds,
    }),
);
export const modelCallDuration = once(
  'wiz_model_call_duration_seconds',
  () =>
    new Histogram({
      name: 'wiz_model_call_duration_seconds',
      help: 'Time of one model call, by model and outcome',
      labelNames: ['model', 'outcome'],
      buckets: seconds,
    }),
);
export const timeToFirstToken = once(
  'wiz_model_time_to_first_token_seconds',
  () =>
    new Histogram({
      name: 'wiz_model_time_to_first_token_seconds',
      help: 'Time from a streamed model call to its first text token, by model',
      labelNames: ['model'],
      buckets: seconds,
    }),
);
export const modelTokens = once(
  'wiz_model_tokens_total',
  () =>
    new Counter({
      name: 'wiz_model_tokens_total',
      help: 'Tokens used by model calls, by model and direction (input, output)',
      labelNames: ['model', 'direction'],
    }),
);
export const toolCallDuration = once(
  'wiz_tool_call_duration_seconds',
  () =>
    new Histogram({
      name: 'wiz_tool_call_duration_seconds',
      help: 'Time of one tool call, by tool and outcome',
      labelNames: ['tool', 'outcome'],
      buckets: seconds,
    }),
);
export const outboxPublishFailures = once(
  'wiz_outbox_publish_failures_total',
  () =>
    new Counter({
      name: 'wiz_outbox_publish_failures_total',
      help: 'Outbox publish batches that failed (NATS unreachable) and will be retried',
    }),
);
export const outboxDeadLetters = once(
  'wiz_outbox_dead_letters_total',
  () =>
    new Counter({
      name: 'wiz_outbox_dead_letters_total',
      help: 'Outbox rows the bus refused for good (e.g. too large), marked dead and never retried',
    }),
);
export const wsClients = once(
  'wiz_ws_clients',
  () => new Gauge({ name: 'wiz_ws_clients', help: 'WebSocket clients connected to this gateway' }),
);
export const wsDroppedSlowClients = once(
  'wiz_ws_dropped_slow_clients_total',
  () =>
    new Counter({
      name: 'wiz_ws_dropped_slow_clients_total',
      help: 'WebSocket clients closed because they read too slowly',
    }),
);
export const httpRequests = once(
  'wiz_http_requests_total',
  () =>
    new Counter({
      name: 'wiz_http_requests_total',
      help: 'HTTP requests, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
    }),
);
export const httpDuration = once(
  'wiz_http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'wiz_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route template',
      labelNames: ['method', 'route'],
      buckets: seconds,
    }),
);
export const budgetRefusals = once(
  'wiz_budget_refusals_total',
  () =>
    new Counter({
      name: 'wiz_budget_refusals_total',
      help: 'Jobs refused or stopped because an owner budget was spent, by where (submit, step)',
      labelNames: ['where'],
    }),
);

let defaults = false;
/** Process metrics (CPU, memory, event-loop lag as `wiz_nodejs_eventloop_lag_seconds`…), once. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ prefix: 'wiz_' });
}

/** A gauge whose value is read at scrape time (`collect`), registered once per name. */
export function scrapeGauge(
  name: string,
  help: string,
  labelNames: string[],
  collect: (g: Gauge) => Promise<void> | void,
): Gauge {
  const existing = register.getSingleMetric(name);
  if (existing) register.removeSingleMetric(name);
  return new Gauge({
    name,
    help,
    labelNames,
    async collect() {
      await collect(this);
    },
  });
}

/** Seconds since `t` (process.hrtime based start from `startTimer`). */
export function startTimer(): () => number {
  const t = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - t) / 1e9;
}
