import { z } from 'zod';
import { ERROR_CODES, WizError } from './errors';

export interface ValidationIssue {
  path: string;
  message: string;
}

// Parse at a boundary: the value or a `validation_failed` error listing every issue.
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues: ValidationIssue[] = r.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new WizError('validation_failed', `invalid ${what}: ${summary}`, issues);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/** The one shape of every error answer (REST and SSE). */
export const ErrorBodySchema = z.object({
  statusCode: z.int(),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** `quota_exceeded`: the per-owner cap that refused the request, and its configured value. */
  limit: z.object({ name: z.string(), max: z.int() }).optional(),
});
