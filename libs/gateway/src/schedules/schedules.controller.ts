import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  CreateScheduleParsed,
  CreateScheduleSchema,
  PageOf,
  PageQuery,
  PageQuerySchema,
  Schedule,
} from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { SchedulesService } from '@wiz/queue';

@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  create(
    @Owner() owner: string,
    @Body(new ZodPipe(CreateScheduleSchema)) body: CreateScheduleParsed,
  ): Promise<Schedule> {
    return this.schedules.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery,
  ): Promise<PageOf<Schedule>> {
    return this.schedules.list(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Schedule> {
    return this.schedules.get(owner, id);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.schedules.remove(owner, id);
  }
}
