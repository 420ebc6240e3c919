import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CreateProject, CreateProjectSchema, PageOf, PageQuery, PageQuerySchema, Project } from '@wiz/contracts';
import { ConversationsService } from '@wiz/conversations';
import { Owner, ZodPipe } from '@wiz/platform';

@Controller('api/v1/projects')
export class ProjectsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateProjectSchema)) body: CreateProject): Promise<Project> {
    return this.conversations.createProject(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery,
  ): Promise<PageOf<Project>> {
    return this.conversations.listProjects(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Project> {
    return this.conversations.getProject(owner, id);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.conversations.removeProject(owner, id);
  }
}
