// One module of the contracts, not their index: a Node process of the client (the CLI) loads no schema.
import { ERROR_CODES, ErrorCode, QuotaLimit } from '@wiz/contracts/errors';

export interface ApiIssue {
  path: string;
  message: string;
}

/**
 * Every failure of the client: an HTTP error answer (its status, code and message), a refused
 * WebSocket topic (status 0 when it came over the socket), or a network failure (`unavailable`, status 0).
 */
export class WizApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ApiIssue[],
    /** `quota_exceeded`: which per-owner cap refused the request, and its value. */
    readonly limit?: QuotaLimit,
  ) {
    super(message);
    this.name = 'WizApiError';
  }

  /** An error answer's body (`{ statusCode, code, message, issues? }`), or whatever came instead. */
  static fromBody(status: number, body: unknown): WizApiError {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const code = (ERROR_CODES as readonly string[]).includes(String(b['code']))
      ? (b['code'] as ErrorCode)
      : codeOf(status);
    const message = typeof b['message'] === 'string' ? b['message'] : `HTTP ${status}`;
    const issues = Array.isArray(b['issues']) ? (b['issues'] as ApiIssue[]) : undefined;
    const l = b['limit'] as Partial<QuotaLimit> | undefined;
    const limit = typeof l?.name === 'string' && typeof l.max === 'number' ? { name: l.name, max: l.max } : undefined;
    return new WizApiError(status, code, message, issues, limit);
  }
}

function codeOf(status: number): ErrorCode {
  if (status === 400) return 'validation_failed';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 410) return 'gone';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return 'internal';
}
