import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  CreateMcpServer,
  CreateMcpServerSchema,
  McpServer,
  McpServerTools,
  PageOf,
  PageQuery,
  PageQuerySchema,
  UpdateMcpServer,
  UpdateMcpServerSchema,
} from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { McpServersService } from './mcp-servers.service';
import { McpToolsClient } from './mcp-tools.client';

@Controller('api/v1/mcp-servers')
export class McpServersController {
  constructor(
    private readonly servers: McpServersService,
    private readonly tools: McpToolsClient,
  ) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateMcpServerSchema)) body: CreateMcpServer): Promise<McpServer> {
    return this.servers.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery,
  ): Promise<PageOf<McpServer>> {
    return this.servers.list(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<McpServer> {
    return this.servers.get(owner, id);
  }

  @Get(':id/tools')
  async listTools(@Owner() owner: string, @Param('id') id: string): Promise<McpServerTools> {
    return this.tools.list(owner, (await this.servers.find(owner, id)).id);
  }

  @Patch(':id')
  update(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateMcpServerSchema)) body: UpdateMcpServer,
  ): Promise<McpServer> {
    return this.servers.update(owner, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.servers.remove(owner, id);
  }
}
