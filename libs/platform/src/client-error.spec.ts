import { createServer, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerClientError } from './client-error';

// Raw requests Node's parser refuses: the answer is still the JSON error shape.
describe(answerClientError.name, () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok')).on('clientError', answerClientError);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => socket.end(request));
      socket.on('data', (c) => chunks.push(c)).on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
  const parse = (answer: string) => ({
    status: Number(answer.split(' ')[1]),
    body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)),
  });

  it('answers 431 with a JSON error to a URL over the header limit', async () => {
    const answer = parse(await raw(`GET /${'x'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`));
    expect(answer).toEqual({
      status: 431,
      body: { statusCode: 431, code: 'validation_failed', message: 'request URL or headers too large' },
    });
  });

  it('answers 400 with a JSON error to a malformed request line', async () => {
    const answer = parse(await raw('NOT A REQUEST\r\n\r\n'));
    expect(answer).toEqual({
      status: 400,
      body: { statusCode: 400, code: 'validation_failed', message: 'malformed HTTP request' },
    });
  });
});
