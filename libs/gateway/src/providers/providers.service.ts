import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreateProvider, isUuid, notFound, PageOf, PageQuery, Provider, WizError } from '@wiz/contracts';
import { urlPolicyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { assertPublicUrl, UrlRefused } from '@wiz/net';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';
import { OwnerCaps, ProviderEntity, ProvidersRepository } from '@wiz/persistence';

const toProvider = (e: ProviderEntity): Provider => ({
  id: e.id,
  name: e.name,
  baseUrl: e.baseUrl,
  defaultModel: e.defaultModel,
  hasApiKey: e.apiKeyEncrypted.length > 0,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

// Model providers. The key is sealed here and only ever opened in the runtime's LlmService;
// no answer, event or log line carries it. No event is emitted: nothing on the bus needs it.
@Injectable()
export class ProvidersService {
  constructor(
    private readonly providers: ProvidersRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly caps: OwnerCaps,
  ) {}

  async create(ownerId: string, body: CreateProvider): Promise<Provider> {
    await this.checkUrl(body.baseUrl);
    const now = new Date();
    const entity = Object.assign(new ProviderEntity(), {
      id: randomUUID(),
      ownerId,
      name: body.name,
      baseUrl: body.baseUrl.replace(/\/+$/, ''),
      apiKeyEncrypted: this.secrets.encrypt(body.apiKey),
      defaultModel: body.defaultModel ?? null,
      createdAt: now,
      updatedAt: now,
    } satisfies ProviderEntity);
    await this.caps.insert('providers', ownerId, (m) => this.providers.insert(entity, m));
    return toProvider(entity);
  }

  // The runtime checks again at every call (a name may resolve elsewhere later); this refusal
  // tells the tenant at once. A name that does not resolve here is left to the runtime, which
  // may see another network.
  private async checkUrl(baseUrl: string): Promise<void> {
    try {
      await assertPublicUrl(baseUrl, urlPolicyOf(this.config));
    } catch (e) {
      if (e instanceof UrlRefused) throw new WizError('validation_failed', `baseUrl: ${e.message}`);
    }
  }

  async list(ownerId: string, page: PageQuery): Promise<PageOf<Provider>> {
    const [items, total] = await this.providers.list(ownerId, page);
    return { items: items.map(toProvider), total, ...page };
  }

  async get(ownerId: string, id: string): Promise<Provider> {
    const p = isUuid(id) ? await this.providers.findById(ownerId, id) : null;
    if (!p) throw notFound('provider', id);
    return toProvider(p);
  }

  async remove(ownerId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.providers.delete(ownerId, id))) throw notFound('provider', id);
  }
}
