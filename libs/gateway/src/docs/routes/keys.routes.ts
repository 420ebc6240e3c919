import { z } from 'zod';
import { ApiKeyListQuerySchema, ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const KEYS_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/keys',
    summary: 'create an API key (the key is shown once)',
    tag: 'keys',
    body: CreateApiKeySchema,
    status: 201,
    response: CreatedApiKeySchema,
  },
  {
    method: 'get',
    path: '/api/v1/keys',
    summary: 'list API keys (never the keys themselves)',
    tag: 'keys',
    query: ApiKeyListQuerySchema,
    status: 200,
    response: z.object({ items: z.array(ApiKeySchema) }),
  },
  { method: 'delete', path: '/api/v1/keys/:id', summary: 'revoke an API key', tag: 'keys', status: 204 },
];
