import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorCode, httpStatusOf, QuotaLimit, WizError } from '@wiz/contracts';
import { isStoreUnavailable } from '@wiz/persistence';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  issues?: unknown;
  /** quota_exceeded: which per-owner cap, and its configured value. */
  limit?: QuotaLimit;
}

// One mapping from every error to an HTTP answer: typed WizErrors by their code, Nest's own
// HttpExceptions by status, anything else 500 (logged). Malformed JSON: see create-app.ts.
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(e: unknown, host: ArgumentsHost): void {
    // The runtime's mailbox handlers inherit the app's filters: their errors stay theirs, so the
    // mailbox transport sees the failure and redelivers the command (an answer here would ack it).
    if (host.getType() !== 'http') throw e;
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(e);
    if (body.statusCode >= 500) this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (e instanceof WizError && e.retryAfterSec) res.setHeader('Retry-After', String(e.retryAfterSec));
    res.status(body.statusCode).json(body);
  }

  private toBody(e: unknown): ErrorBody {
    if (e instanceof WizError) {
      return {
        statusCode: httpStatusOf(e.code),
        code: e.code,
        message: e.message,
        ...(e.code === 'quota_exceeded'
          ? (e.details as { limit: QuotaLimit })
          : e.details
            ? { issues: e.details }
            : {}),
      };
    }
    if (isStoreUnavailable(e)) {
      return { statusCode: 503, code: 'unavailable', message: 'the database is unavailable; retry shortly' };
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      return { statusCode: status, code: codeOfStatus(status), message: e.message };
    }
    return { statusCode: 500, code: 'internal', message: 'internal error' };
  }
}

// Nest's own exceptions (unknown route, throttler, body limits) in our codes.
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 429:
      return 'rate_limited';
    default:
      return status < 500 ? 'validation_failed' : 'internal';
  }
}
