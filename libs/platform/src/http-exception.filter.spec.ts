import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { WizError } from '@wiz/contracts';
import { HttpErrorFilter } from './http-exception.filter';

// The one mapping from errors to HTTP answers.
describe(HttpErrorFilter.name, () => {
  const sut = new HttpErrorFilter();
  const answer = (e: unknown) => {
    let status = 0;
    let body: unknown;
    const res = { status: (s: number) => ((status = s), { json: (b: unknown) => (body = b) }) };
    sut.catch(e, new ExecutionContextHost([{}, res]));
    return { status, body };
  };

  it.each([
    [new WizError('validation_failed', 'bad', [{ path: 'x', message: 'y' }]), 400, 'validation_failed'],
    [new WizError('not_found', 'nope'), 404, 'not_found'],
    [new WizError('conflict', 'no'), 409, 'conflict'],
    [new NotFoundException('Cannot GET /x'), 404, 'not_found'],
    [new BadRequestException('bad'), 400, 'validation_failed'],
    [new HttpException('slow down', 429), 429, 'rate_limited'],
    [new WizError('unauthorized', 'no key'), 401, 'unauthorized'],
    [new WizError('forbidden', 'not yours'), 403, 'forbidden'],
    [
      Object.assign(new Error('terminating connection due to administrator command'), {
        driverError: { code: '57P01' },
      }),
      503,
      'unavailable',
    ],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 503, 'unavailable'],
    [new Error('Connection terminated unexpectedly'), 503, 'unavailable'],
    [new TypeError('x is undefined'), 500, 'internal'],
  ])('answers %p with %d %s', (e, status, code) => {
    const r = answer(e);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ statusCode: status, code });
  });

  it('keeps the validation issues and hides internal details', () => {
    expect(answer(new WizError('validation_failed', 'bad', [{ path: 'x', message: 'y' }])).body).toMatchObject({
      issues: [{ path: 'x' }],
    });
    expect(answer(new TypeError('secret internals')).body).toEqual({
      statusCode: 500,
      code: 'internal',
      message: 'internal error',
    });
  });

  it('leaves errors of non-HTTP handlers (the mailbox) to their transport, which redelivers the command', () => {
    const e = new Error('Connection terminated unexpectedly');
    const host = new ExecutionContextHost([{ kind: 'job.run' }, {}]);
    host.setType('rpc');
    expect(() => sut.catch(e, host)).toThrow(e);
  });
});
