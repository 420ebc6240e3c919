import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { UsageController } from './usage.controller';
import { JobUsageService } from './usage.service';

// Usage and cost (GET /api/v1/usage), budgets (GET/PUT /api/v1/budgets), a job's own usage.
@Module({
  imports: [PersistenceModule, QueueModule],
  controllers: [UsageController],
  providers: [JobUsageService],
  exports: [JobUsageService],
})
export class UsageModule {}
