// Typed error codes shared by every boundary: one mapping to HTTP status and WS error frames.
export const ERROR_CODES = [
  'validation_failed',
  'malformed_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'gone',
  'rate_limited',
  'quota_exceeded',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class WizError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** rate_limited: when to try again (the HTTP answer's Retry-After). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'WizError';
  }
}

export const rateLimited = (message: string, retryAfterSec: number) =>
  new WizError('rate_limited', message, undefined, retryAfterSec);

/** Which per-owner cap a `quota_exceeded` refused, and its configured value (the body's `limit`). */
export interface QuotaLimit {
  name: string;
  max: number;
}

// A cap on how many of something an owner may hold (keys, agents, schedules…; see OwnerCaps): not time-based, so no
// Retry-After; the owner frees a slot (revoke, delete) or the operator raises the cap.
export const quotaExceeded = (message: string, limit: QuotaLimit) => new WizError('quota_exceeded', message, { limit });

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'validation_failed':
    case 'malformed_json':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'gone':
      return 410;
    case 'rate_limited':
    case 'quota_exceeded':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}

export const notFound = (what: string, id: string) => new WizError('not_found', `${what} ${id} not found`);
