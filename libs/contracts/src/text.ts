/** `s` cut to its first `max` characters, with an ellipsis when it was longer. */
export function clip(s: string, max: number): string;
export function clip(s: string | null | undefined, max: number): string | null;
export function clip(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
