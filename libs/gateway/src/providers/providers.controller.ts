import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CreateProvider, CreateProviderSchema, PageOf, PageQuery, PageQuerySchema, Provider } from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { ProvidersService } from './providers.service';

@Controller('api/v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateProviderSchema)) body: CreateProvider): Promise<Provider> {
    return this.providers.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) page: PageQuery,
  ): Promise<PageOf<Provider>> {
    return this.providers.list(owner, page);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Provider> {
    return this.providers.get(owner, id);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.providers.remove(owner, id);
  }
}
