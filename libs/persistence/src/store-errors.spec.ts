import { QueryFailedError, QueryRunnerAlreadyReleasedError, TypeORMError } from 'typeorm';
import { isStoreUnavailable } from './store-errors';

describe('isStoreUnavailable', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it.each([
    ['a connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['Postgres shutting down (57P01)', new QueryFailedError('SELECT 1', [], pgError('57P01'))],
    ['a connection failure class (08006)', new QueryFailedError('SELECT 1', [], pgError('08006'))],
    [
      'a connection terminated mid-query',
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')),
    ],
    ['a transaction whose connection was lost (runner released)', new QueryRunnerAlreadyReleasedError()],
    [
      'a prepared statement whose result columns changed (0A000)',
      new QueryFailedError('SELECT', [], pgError('0A000', 'cached plan must not change result type')),
    ],
  ])('is true for %s', (_, e) => {
    expect(isStoreUnavailable(e)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], pgError('23505', 'duplicate key'))],
    ['a value too long', new QueryFailedError('INSERT', [], pgError('22001', 'value too long'))],
    ['another unsupported feature (0A000)', new QueryFailedError('SELECT', [], pgError('0A000', 'not supported'))],
    ['another TypeORM error', new TypeORMError('No metadata for "X" was found.')],
    ['a plain error', new Error('boom')],
    ['not an error', undefined],
  ])('is false for %s', (_, e) => {
    expect(isStoreUnavailable(e)).toBe(false);
  });
});
