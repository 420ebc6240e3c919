import { Global, Module } from '@nestjs/common';
import { JobExecution } from './job-execution.service';
import { JobsService } from './jobs.service';
import { OutboxRelay } from './outbox.relay';
import { StateChanges } from './state-changes.service';

const providers = [OutboxRelay, StateChanges, JobsService, JobExecution];

@Global()
@Module({ providers, exports: providers })
export class QueueModule {}
