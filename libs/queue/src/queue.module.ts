import { Global, Module } from '@nestjs/common';
import { JobExecution } from './job-execution.service';
import { JobsService } from './jobs.service';
import { OutboxRelay } from './outbox.relay';
import { StateChanges } from './state-changes.service';
import { JobFlow } from './job-flow.service';
import { SchedulesService } from './schedules/schedules.service';

const providers = [OutboxRelay, StateChanges, JobFlow, JobsService, JobExecution, SchedulesService];

@Global()
@Module({ providers, exports: providers })
export class QueueModule {}
