import { PriceTable } from './prices';

describe(PriceTable.name, () => {
  it('prices a known model per million tokens, in nano-USD', () => {
    const sut = new PriceTable();
    // gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens.
    expect(sut.costNanoUsd('openai', 'gpt-4o-mini', 1_000_000, 1_000_000)).toBe(750_000_000);
    expect(sut.costNanoUsd('openai', 'gpt-4o-mini-2024-07-18', 1_000, 0)).toBe(150_000);
  });

  it('lets the operator override by model or provider/model, and prices unknown models at 0', () => {
    const sut = new PriceTable('{"scripted": {"input": 1, "output": 2}, "acme/gpt-4o": {"input": 0, "output": 0}}');
    expect(sut.costNanoUsd('x', 'scripted', 10, 10)).toBe(30_000);
    expect(sut.costNanoUsd('acme', 'gpt-4o', 10, 10)).toBe(0);
    expect(sut.costNanoUsd('openai', 'gpt-4o', 1, 0)).toBe(2_500);
    expect(sut.costNanoUsd('openai', 'unknown-model', 1_000, 1_000)).toBe(0);
  });

  it('refuses a malformed table with a clear error', () => {
    expect(() => new PriceTable('{"m": {"input": -1}}')).toThrow(/WIZ_MODEL_PRICES/);
    expect(() => new PriceTable('not json')).toThrow(/WIZ_MODEL_PRICES/);
  });
});
