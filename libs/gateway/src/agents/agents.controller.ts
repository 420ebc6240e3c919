import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  AdjustBehavior,
  AdjustBehaviorSchema,
  Agent,
  CreateAgent,
  CreateAgentSchema,
  Execute,
  ExecuteSchema,
  Job,
  PageOf,
  PageQuery,
  PageQuerySchema,
  UpdateAgent,
  UpdateAgentSchema,
} from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { AgentsService } from './agents.service';
import { ExecuteService } from './execute.service';

@Controller('api/v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly executions: ExecuteService,
  ) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateAgentSchema)) body: CreateAgent): Promise<Agent> {
    return this.agents.create(owner, body);
  }

  @Get()
  list(@Owner() owner: string, @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery): Promise<PageOf<Agent>> {
    return this.agents.list(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Agent> {
    return this.agents.get(owner, id);
  }

  @Patch(':id')
  update(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateAgentSchema)) body: UpdateAgent,
  ): Promise<Agent> {
    return this.agents.update(owner, id, body);
  }

  @Post(':id/behavior')
  @HttpCode(200)
  behavior(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(AdjustBehaviorSchema)) body: AdjustBehavior,
  ): Promise<Agent> {
    return this.agents.adjustBehavior(owner, id, body);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@Owner() owner: string, @Param('id') id: string): Promise<Agent> {
    return this.agents.setPaused(owner, id, true);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@Owner() owner: string, @Param('id') id: string): Promise<Agent> {
    return this.agents.setPaused(owner, id, false);
  }

  /** Runs an instruction and waits: 200 with the ended job, or 202 with the running one. */
  @Post(':id/execute')
  async execute(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(ExecuteSchema)) body: Execute,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Job> {
    const { ended, job } = await this.executions.execute(owner, id, body);
    res.status(ended ? 200 : 202).location(`/api/v1/jobs/${job.id}`);
    return job;
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.agents.remove(owner, id);
  }
}
