import { Module } from '@nestjs/common';
import { BusEmbedder, MemoryModule } from '@wiz/memory';
import { PersistenceModule } from '@wiz/persistence';
import { AgentsModule } from '../agents/agents.module';
import { MemoryController } from './memory.controller';
import { MemoryService } from './memory.service';

// Memory save/query and behavior adjustment. Texts are embedded by a runtime, over the bus.
@Module({
  imports: [PersistenceModule, AgentsModule, MemoryModule.withEmbedder(BusEmbedder)],
  controllers: [MemoryController],
  providers: [MemoryService],
})
export class MemoryApiModule {}
