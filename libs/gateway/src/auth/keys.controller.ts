import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiKey, ApiKeyListQuerySchema, CreateApiKey, CreateApiKeySchema, CreatedApiKey } from '@wiz/contracts';
import { Auth, AuthContext, ZodPipe } from '@wiz/platform';
import { ApiKeysService } from './api-keys.service';

@Controller('api/v1/keys')
export class KeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  create(@Auth() auth: AuthContext, @Body(new ZodPipe(CreateApiKeySchema)) body: CreateApiKey): Promise<CreatedApiKey> {
    return this.keys.create(auth, body);
  }

  @Get()
  list(
    @Auth() auth: AuthContext,
    @Query(new ZodPipe(ApiKeyListQuerySchema, 'query')) q: { ownerId?: string },
  ): Promise<{ items: ApiKey[] }> {
    return this.keys.list(auth, q.ownerId).then((items) => ({ items }));
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.keys.revoke(auth, id);
  }
}
