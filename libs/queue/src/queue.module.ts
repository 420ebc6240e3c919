import { Global, Module } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobExecution, MAX_LOST_RUNS } from './job-execution.service';
import { JobsService } from './jobs.service';
import { OutboxRelay } from './outbox.relay';
import { StateChanges } from './state-changes.service';
import { JobFlow } from './job-flow.service';
import { SchedulesService } from './schedules/schedules.service';

const providers = [OutboxRelay, StateChanges, JobFlow, JobsService, JobExecution, SchedulesService];

@Global()
@Module({
  providers: [...providers, { provide: MAX_LOST_RUNS, inject: [WIZ_CONFIG], useFactory: (c: WizConfig) => c.WIZ_JOB_MAX_DELIVER }],
  exports: providers,
})
export class QueueModule {}
