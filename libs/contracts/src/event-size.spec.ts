import { clipToBytes, MAX_EVENT_DATA_BYTES } from './event-size';

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

describe(clipToBytes.name, () => {
  it('returns small values unchanged', () => {
    const sut = { a: 'x', b: [1, 2, 3], c: { d: null } };
    expect(clipToBytes(sut)).toEqual({ value: sut, clipped: false });
  });

  it('clips a 1 MiB string field under the limit and says so', () => {
    const r = clipToBytes({ item: { text: 'hi', metadata: { blob: 'x'.repeat(1024 * 1024) } } });
    expect(r.clipped).toBe(true);
    expect(bytes(r.value)).toBeLessThanOrEqual(MAX_EVENT_DATA_BYTES);
    expect(r.value.item.text).toBe('hi');
    expect(r.value.item.metadata.blob).toMatch(/…\[clipped \d+ chars\]$/);
  });

  it('bounds many small entries, multi-byte text and deep nesting', () => {
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    const emoji = '😀\u0001'.repeat(400_000);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 1_000; i++) deep = { d: deep };
    for (const v of [many, { emoji }, { list: Array(300_000).fill('ab') }, { deep, pad: 'y'.repeat(300_000) }]) {
      expect(bytes(clipToBytes(v, 64 * 1024).value)).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it('never splits a surrogate pair', () => {
    const r = clipToBytes({ s: '😀'.repeat(200_000) }, 1024);
    expect(r.value.s).not.toMatch(/[\ud800-\udbff]…/);
  });
});
