import { QueueMetrics } from './queue.metrics';
import { BudgetsService } from './budgets/budgets.service';
import { Module, Provider } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { PersistenceModule } from '@wiz/persistence';
import { JobExecutionService, RUN_POLICY, RunPolicy } from './job-execution.service';
import { JobsService } from './jobs.service';
import { QueueLimits } from './queue-limits';
import { OUTBOX_TIMING, OutboxRelay, OutboxTiming } from './outbox.relay';
import { StateChangesService } from './state-changes.service';
import { JobFlowService } from './job-flow.service';
import { SettleHooks } from './settle-hooks';
import { SchedulesService } from './schedules/schedules.service';
import { JobWaitsService } from './waits/job-waits.service';
import { WebhookDeliveries } from './webhooks/webhook-deliveries';

const runPolicy: Provider = {
  provide: RUN_POLICY,
  inject: [WIZ_CONFIG],
  useFactory: (c: WizConfig): RunPolicy => ({
    maxLostRuns: c.WIZ_JOB_MAX_DELIVER,
    leaseMs: c.WIZ_JOB_ACK_WAIT_MS,
    sweepMs: c.WIZ_STALLED_SWEEP_MS,
  }),
};
const outboxTiming: Provider = {
  provide: OUTBOX_TIMING,
  inject: [WIZ_CONFIG],
  useFactory: (c: WizConfig): OutboxTiming => ({ claimMs: c.WIZ_OUTBOX_CLAIM_MS, sweepMs: c.WIZ_OUTBOX_SWEEP_MS }),
};
const providers = [
  QueueMetrics,
  BudgetsService,
  SettleHooks,
  OutboxRelay,
  WebhookDeliveries,
  StateChangesService,
  JobFlowService,
  QueueLimits,
  JobsService,
  JobExecutionService,
  SchedulesService,
  JobWaitsService,
  runPolicy,
  outboxTiming,
];

@Module({ imports: [PersistenceModule], providers, exports: providers })
export class QueueModule {}
