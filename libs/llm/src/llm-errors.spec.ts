import { APICallError } from 'ai';
import { describeLlmError } from './llm-errors';

const failure = (statusCode: number, responseBody: string) =>
  new APICallError({
    message: 'Bad Gateway',
    url: 'http://x/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseBody,
  });

// A failure reason carries the status and the provider's own message, never a raw body: a
// tenant's URL may point at something whose answer must not come back (metadata, internal pages).
describe(describeLlmError.name, () => {
  it('quotes the message of an OpenAI-style error body', () => {
    const e = failure(429, JSON.stringify({ error: { message: 'Rate limit reached', type: 'x' } }));
    expect(describeLlmError(e, 'http://p/v1')).toBe('model endpoint http://p/v1 answered HTTP 429: Rate limit reached');
  });

  it('never quotes a body that is not an OpenAI-style error', () => {
    const e = failure(502, 'ami-id\ninstance-id\nsecret-token: AKIA0123456789');
    const reason = describeLlmError(e, 'http://p/v1');
    expect(reason).toBe('model endpoint http://p/v1 answered HTTP 502: no error message');
    expect(reason).not.toContain('AKIA');
  });
});
