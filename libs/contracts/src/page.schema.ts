import { z } from 'zod';

// The one shape of paging, for every list route and repository call that pages: `limit` and
// `offset` (with the total), or `limit` and an opaque `cursor` where rows move (messages).

/** Page size: 1 to `max`, 50 unless given. */
export const pageLimit = (max = 500) => z.coerce.number().int().min(1).max(max).default(50);

export const PageQuerySchema = z.object({
  limit: pageLimit(),
  offset: z.coerce.number().int().min(0).default(0),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The answer of a limit/offset list route, for `item`. */
export const pageSchemaOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.int(), limit: z.int(), offset: z.int() });

/** A keyset page: `cursor` is the `nextCursor` of the previous page. */
export const cursorQuerySchema = (cursor: z.ZodType<string>, max = 500) =>
  z.object({ limit: pageLimit(max), cursor: cursor.optional() });

/** Where a list starts and how long it is, as repositories take it. */
export type Page = Pick<PageQuery, 'limit' | 'offset'>;
