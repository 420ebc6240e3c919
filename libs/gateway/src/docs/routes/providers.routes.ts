import { CreateProviderSchema, PageQuerySchema, pageSchemaOf, ProviderSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const PROVIDERS_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/providers',
    summary: 'register a model provider (its API key is stored encrypted and never returned)',
    tag: 'providers',
    body: CreateProviderSchema,
    status: 201,
    response: ProviderSchema,
  },
  {
    method: 'get',
    path: '/api/v1/providers',
    summary: 'list model providers',
    tag: 'providers',
    query: PageQuerySchema,
    status: 200,
    response: pageSchemaOf(ProviderSchema),
  },
  {
    method: 'get',
    path: '/api/v1/providers/:id',
    summary: 'get a model provider',
    tag: 'providers',
    status: 200,
    response: ProviderSchema,
  },
  {
    method: 'delete',
    path: '/api/v1/providers/:id',
    summary: 'delete a model provider',
    tag: 'providers',
    status: 204,
  },
];
