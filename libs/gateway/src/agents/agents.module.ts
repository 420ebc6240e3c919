import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { EventsModule } from '../events/events.module';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { ExecuteService } from './execute.service';

// Agents: CRUD, behavior, pause/resume, and execute (a job whose result the request waits for).
@Module({
  imports: [PersistenceModule, QueueModule, EventsModule],
  controllers: [AgentsController],
  providers: [AgentsService, ExecuteService],
  exports: [AgentsService],
})
export class AgentsModule {}
