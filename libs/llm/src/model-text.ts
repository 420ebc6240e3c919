// Model output is stored as text: Postgres text cannot hold NUL (U+0000), so a reply with one
// would fail its insert. Removed here, as it comes out of the model.
export function cleanModelText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
