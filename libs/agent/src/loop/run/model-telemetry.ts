import type { LanguageModelUsage } from 'ai';
import {
  failSpan,
  GenAi,
  modelCallDuration,
  modelTokens,
  Span,
  startTimer,
  stepDuration,
  timeToFirstToken,
  tracer,
} from '@wiz/telemetry';

export interface ModelIds {
  provider: string;
  modelId: string;
}

/** One model call's span (`chat {model}`, GenAI attributes) and its duration and token metrics. */
export class ModelCall {
  private readonly span: Span;
  private readonly elapsed = startTimer();
  private firstToken = false;

  constructor(
    private readonly ids: ModelIds,
    private readonly phase: string,
    input?: unknown,
  ) {
    this.span = tracer().startSpan(`chat ${ids.modelId}`, {
      attributes: {
        [GenAi.operation]: 'chat',
        [GenAi.provider]: ids.provider,
        [GenAi.requestModel]: ids.modelId,
        'wiz.phase': phase,
        ...(input !== undefined ? { [GenAi.inputMessages]: JSON.stringify(input).slice(0, 64_000) } : {}),
      },
    });
  }

  token(): void {
    if (this.firstToken) return;
    this.firstToken = true;
    timeToFirstToken.observe({ model: this.ids.modelId }, this.elapsed());
  }

  end(usage: LanguageModelUsage, responseModel: string | undefined, output?: string): void {
    const model = this.ids.modelId;
    const seconds = this.elapsed();
    const input = usage.inputTokens ?? 0;
    const out = usage.outputTokens ?? 0;
    this.span.setAttributes({
      [GenAi.responseModel]: responseModel ?? model,
      [GenAi.inputTokens]: input,
      [GenAi.outputTokens]: out,
      ...(output !== undefined ? { [GenAi.outputMessages]: output.slice(0, 64_000) } : {}),
    });
    modelTokens.inc({ model, direction: 'input' }, input);
    modelTokens.inc({ model, direction: 'output' }, out);
    modelCallDuration.observe({ model, outcome: 'ok' }, seconds);
    stepDuration.observe({ phase: this.phase }, seconds);
    this.span.end();
  }

  fail(e: unknown): void {
    modelCallDuration.observe({ model: this.ids.modelId, outcome: 'error' }, this.elapsed());
    failSpan(this.span, e);
    this.span.end();
  }
}
