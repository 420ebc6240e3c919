import { bearerOf, displayPrefix, generateKey, hashKey } from './api-key.crypto';

describe(generateKey.name, () => {
  it('makes distinct 256-bit keys, hashed to 64 hex characters', () => {
    const sut = [generateKey(), generateKey()];
    expect(sut[0]).not.toBe(sut[1]);
    expect(sut[0]).toMatch(/^wiz_[A-Za-z0-9_-]{43}$/);
    expect(hashKey(sut[0]!)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKey(sut[0]!)).toBe(hashKey(sut[0]!));
    expect(displayPrefix(sut[0]!)).toBe(sut[0]!.slice(0, 12));
  });
});

describe(bearerOf.name, () => {
  it.each([
    ['Bearer wiz_abc', 'wiz_abc'],
    ['bearer   wiz_abc  ', 'wiz_abc'],
    [['Bearer k1', 'Bearer k2'], 'k1'],
    ['Basic dXNlcg==', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('reads %p as %p', (header, key) => {
    expect(bearerOf(header)).toBe(key);
  });
});
