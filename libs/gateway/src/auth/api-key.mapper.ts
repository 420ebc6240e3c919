import { ApiKey } from '@wiz/contracts';
import { ApiKeyEntity } from '@wiz/persistence';

export const toApiKey = (e: ApiKeyEntity): ApiKey => ({
  id: e.id,
  ownerId: e.ownerId,
  name: e.name,
  prefix: e.prefix,
  admin: e.admin,
  createdAt: e.createdAt.toISOString(),
  revokedAt: e.revokedAt ? e.revokedAt.toISOString() : null,
});
