import { clip } from './text';

describe(clip.name, () => {
  it('keeps a short text and cuts a long one with an ellipsis', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('abc…');
  });

  it('passes null and undefined through as null', () => {
    expect(clip(null, 3)).toBeNull();
    expect(clip(undefined, 3)).toBeNull();
  });
});
