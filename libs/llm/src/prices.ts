import { z } from 'zod';

/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
}

// List prices of common models (USD per 1M tokens, standard tier). An operator overrides or
// extends them with WIZ_MODEL_PRICES; keys are "model" or "provider/model" (the latter wins).
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  o3: { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'deepseek-chat': { input: 0.27, output: 1.1 },
  'deepseek-reasoner': { input: 0.55, output: 2.19 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'gemini-2.5-pro': { input: 1.25, output: 10 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
};

const PricesSchema = z.record(
  z.string().min(1),
  z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
);

/** The price table: defaults merged with the operator's JSON (a bad JSON is a startup error). */
export class PriceTable {
  private readonly prices: Record<string, Price>;

  constructor(json = '') {
    let extra: Record<string, Price> = {};
    if (json.trim()) {
      const parsed = PricesSchema.safeParse(safeJson(json));
      if (!parsed.success) throw new Error(`WIZ_MODEL_PRICES: ${z.prettifyError(parsed.error)}`);
      extra = parsed.data;
    }
    this.prices = { ...DEFAULT_PRICES, ...extra };
  }

  /** The price of `model` at `provider`; dated variants (`gpt-4o-2024-08-06`) take their base's. */
  priceOf(provider: string, model: string): Price | undefined {
    const exact = this.prices[`${provider}/${model}`] ?? this.prices[model];
    if (exact) return exact;
    const base = Object.keys(this.prices)
      .filter((k) => !k.includes('/') && model.startsWith(`${k}-`))
      .sort((a, b) => b.length - a.length)[0];
    return base ? this.prices[base] : undefined;
  }

  /** Cost in nano-USD (integer); 0 for a model without a price. */
  costNanoUsd(provider: string, model: string, inputTokens: number, outputTokens: number): number {
    const p = this.priceOf(provider, model);
    return p ? Math.round(inputTokens * p.input * 1_000 + outputTokens * p.output * 1_000) : 0;
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch (e) {
    return (e as Error).message;
  }
}
