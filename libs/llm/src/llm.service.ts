import { Inject, Injectable } from '@nestjs/common';
import { createOpenAI, OpenAIProvider } from '@ai-sdk/openai';
import { generateText, ModelMessage } from 'ai';
import { JobResult, ModelConfig } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { describeLlmError } from './llm-errors';

export interface GenerateRequest {
  model: ModelConfig;
  system: string;
  messages: ModelMessage[];
  abortSignal?: AbortSignal;
}

export class LlmCallError extends Error {}

// The provider registry. Today: the default OpenAI-compatible endpoint from the configuration,
// spoken to with chat completions (what Ollama, vLLM, DeepSeek… serve). Keys stay in this process.
@Injectable()
export class LlmService {
  private readonly provider: OpenAIProvider;

  constructor(@Inject(WIZ_CONFIG) private readonly config: WizConfig) {
    this.provider = createOpenAI({
      baseURL: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY || 'unset',
      name: 'default',
    });
  }

  async generate(req: GenerateRequest): Promise<JobResult> {
    const modelId = req.model.model ?? this.config.WIZ_DEFAULT_MODEL;
    const timeout = AbortSignal.timeout(this.config.WIZ_LLM_TIMEOUT_MS);
    try {
      const r = await generateText({
        model: this.provider.chat(modelId),
        system: req.system,
        messages: req.messages,
        temperature: req.model.temperature,
        maxOutputTokens: req.model.maxTokens,
        maxRetries: this.config.WIZ_LLM_MAX_RETRIES,
        abortSignal: req.abortSignal ? AbortSignal.any([req.abortSignal, timeout]) : timeout,
      });
      return {
        text: r.text,
        model: modelId,
        finishReason: r.finishReason,
        usage: { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, totalTokens: r.usage.totalTokens },
      };
    } catch (e) {
      throw new LlmCallError(describeLlmError(e, this.config.OPENAI_BASE_URL));
    }
  }
}
