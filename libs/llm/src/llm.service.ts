import { Inject, Injectable, Logger } from '@nestjs/common';
import { createOpenAI, OpenAIProvider } from '@ai-sdk/openai';
import type { EmbeddingModel, LanguageModel } from 'ai';
import { ModelConfig } from '@wiz/contracts';
import { urlPolicyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { guardedFetch } from '@wiz/net';
import { ProvidersRepository } from '@wiz/persistence';
import { describeLlmError } from './llm-errors';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';

/** A model ready to call, with what a failure reason may name (never the key). */
export interface ResolvedModel {
  model: LanguageModel;
  modelId: string;
  /** gen_ai.provider.name, and the prefix of "provider/model" price keys. */
  providerName: string;
  /** Base URL, quoted in failure reasons. */
  endpoint: string;
  /** Where the key is set, for a 401 hint. */
  keyHint: string;
  maxRetries: number;
  timeoutMs: number;
}

export class LlmCallError extends Error {}

const PROVIDER_TTL_MS = 30_000;

interface CachedProvider {
  provider: OpenAIProvider;
  baseUrl: string;
  name: string;
  defaultModel: string | null;
  loadedAt: number;
}

// The provider registry: the default endpoint from the configuration, and the providers users
// registered (keys decrypted here, in the runtime, and kept in memory only). One AI SDK provider
// per endpoint, reused by every call; a provider row is re-read after 30 s so a deletion applies.
@Injectable()
export class LlmService {
  private readonly log = new Logger('Llm');
  private readonly fallback: OpenAIProvider;
  private readonly providers = new Map<string, CachedProvider>();
  // Tenants' base URLs may not reach the server's own network (DESIGN.md invariant 9).
  private readonly tenantFetch: typeof fetch;

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly repo: ProvidersRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {
    this.tenantFetch = guardedFetch(urlPolicyOf(config));
    this.fallback = createOpenAI({
      baseURL: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY || 'unset',
      name: 'default',
    });
  }

  /** The model an agent's settings name; an unknown provider is an LlmCallError (the job fails with it). */
  async resolve(ownerId: string, settings: ModelConfig): Promise<ResolvedModel> {
    const common = { maxRetries: this.config.WIZ_LLM_MAX_RETRIES, timeoutMs: this.config.WIZ_LLM_TIMEOUT_MS };
    if (!settings.provider) {
      const modelId = settings.model ?? this.config.WIZ_DEFAULT_MODEL;
      return {
        model: this.fallback.chat(modelId),
        modelId,
        providerName: 'openai',
        endpoint: this.config.OPENAI_BASE_URL,
        keyHint: 'OPENAI_API_KEY',
        ...common,
      };
    }
    const p = await this.provider(ownerId, settings.provider);
    const modelId = settings.model ?? p.defaultModel ?? this.config.WIZ_DEFAULT_MODEL;
    return {
      model: p.provider.chat(modelId),
      modelId,
      providerName: p.name,
      endpoint: p.baseUrl,
      keyHint: `the API key of provider "${p.name}"`,
      ...common,
    };
  }

  /** The embedding model (WIZ_EMBEDDING_MODEL) of the endpoint an agent's settings name. */
  async embedder(
    ownerId: string,
    settings: ModelConfig,
  ): Promise<{ model: EmbeddingModel; modelId: string; maxRetries: number }> {
    const modelId = this.config.WIZ_EMBEDDING_MODEL;
    const provider = settings.provider ? (await this.provider(ownerId, settings.provider)).provider : this.fallback;
    return { model: provider.embedding(modelId), modelId, maxRetries: this.config.WIZ_LLM_MAX_RETRIES };
  }

  describe(e: unknown, m: Pick<ResolvedModel, 'endpoint' | 'keyHint'>): string {
    return describeLlmError(e, m.endpoint, m.keyHint);
  }

  private async provider(ownerId: string, id: string): Promise<CachedProvider> {
    const key = `${ownerId}/${id}`;
    const hit = this.providers.get(key);
    if (hit && Date.now() - hit.loadedAt < PROVIDER_TTL_MS) return hit;
    const row = await this.repo.findById(ownerId, id);
    if (!row) {
      this.providers.delete(key);
      throw new LlmCallError(`provider ${id} does not exist (deleted?): set another one on the agent`);
    }
    let apiKey: string;
    try {
      apiKey = this.secrets.decrypt(row.apiKeyEncrypted);
    } catch (e) {
      this.log.error(`provider ${id}: ${(e as Error).message}`);
      throw new LlmCallError(`provider "${row.name}": ${(e as Error).message}`);
    }
    const cached: CachedProvider = {
      provider: createOpenAI({ baseURL: row.baseUrl, apiKey, name: `provider-${id}`, fetch: this.tenantFetch }),
      baseUrl: row.baseUrl,
      name: row.name,
      defaultModel: row.defaultModel,
      loadedAt: Date.now(),
    };
    this.providers.set(key, cached);
    return cached;
  }
}
