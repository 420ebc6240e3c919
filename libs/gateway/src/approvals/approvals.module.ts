import { Module } from '@nestjs/common';
import { QueueModule } from '@wiz/queue';
import { ApprovalsController } from './approvals.controller';
import { JobInputController } from './job-input.controller';

// Human in the loop: approvals of gated tool calls, the owner's default approval policy, and a
// job's answers, steering messages and signals.
@Module({ imports: [QueueModule], controllers: [ApprovalsController, JobInputController] })
export class ApprovalsModule {}
