import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  AdjustBehaviorOf,
  AdjustBehaviorOfSchema,
  Agent,
  MemoryItem,
  MemoryQuery,
  MemoryQuerySchema,
  SaveMemory,
  SaveMemorySchema,
} from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { AgentsService } from '../agents/agents.service';
import { MemoryService } from './memory.service';

// The endpoints the product documents name: memory save/query and behavior adjustment, with
// the agent in the body or the query (the same services as /agents/:id/behavior and the tools).
@Controller('api/v1')
export class MemoryController {
  constructor(
    private readonly memory: MemoryService,
    private readonly agents: AgentsService,
  ) {}

  @Post('memory/save')
  @HttpCode(201)
  save(
    @Owner() owner: string,
    @Body(new ZodPipe(SaveMemorySchema)) body: SaveMemory,
  ): Promise<{ id: string; embedded: boolean }> {
    return this.memory.save(owner, body);
  }

  @Get('memory/query')
  query(
    @Owner() owner: string,
    @Query(new ZodPipe(MemoryQuerySchema, 'query')) q: MemoryQuery,
  ): Promise<{ items: MemoryItem[] }> {
    return this.memory.query(owner, q);
  }

  @Post('behavior/adjust')
  @HttpCode(200)
  adjust(@Owner() owner: string, @Body(new ZodPipe(AdjustBehaviorOfSchema)) body: AdjustBehaviorOf): Promise<Agent> {
    const { agentId, ...change } = body;
    return this.agents.adjustBehavior(owner, agentId, change);
  }
}
