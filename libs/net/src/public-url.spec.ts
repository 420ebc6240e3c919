import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { assertPublicUrl, guardedFetch, isPrivateAddress, pinnedFetch, UrlRefused } from './public-url';

describe(assertPublicUrl.name, () => {
  const guard = { guard: true };

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
  ])('%s is private', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('%s is public', (ip) =>
    expect(isPrivateAddress(ip)).toBe(false),
  );

  it.each([
    'http://127.0.0.1:8080/v1',
    'http://[::1]/v1',
    'http://169.254.169.254/latest/meta-data',
    'http://localhost:1/v1',
  ])('refuses %s (after DNS resolution for names)', async (url) => {
    await expect(assertPublicUrl(url, guard)).rejects.toThrow(UrlRefused);
  });

  it('refuses other schemes, allows public addresses, and whatever the operator allows', async () => {
    await expect(assertPublicUrl('file:///etc/passwd', guard)).rejects.toThrow('file: URLs are not allowed');
    await expect(assertPublicUrl('https://8.8.8.8/v1', guard)).resolves.toBeInstanceOf(URL);
    await expect(assertPublicUrl('http://127.0.0.1/v1', { guard: false })).resolves.toBeInstanceOf(URL);
    await expect(assertPublicUrl('http://127.0.0.1/v1', { ...guard, allowPrivate: true })).resolves.toBeInstanceOf(URL);
    await expect(assertPublicUrl('http://10.0.0.5/v1', { ...guard, allow: ['10.0.0.0/24'] })).resolves.toBeInstanceOf(
      URL,
    );
    await expect(assertPublicUrl('http://localhost:1/v1', { ...guard, allow: ['localhost'] })).resolves.toBeInstanceOf(
      URL,
    );
    await expect(assertPublicUrl('http://10.0.1.5/v1', { ...guard, allow: ['10.0.0.0/24'] })).rejects.toThrow(
      UrlRefused,
    );
  });
});

describe(guardedFetch.name, () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((r) => server.close(r)));

  it('refuses a redirect to a private address even from an allowed host', async () => {
    const sut = guardedFetch({ guard: true, allow: ['127.0.0.1'] });
    await expect((await sut(`${base}/ok`)).json()).resolves.toEqual({ ok: true });
    await expect(sut(`${base}/to-metadata`)).rejects.toThrow(/169\.254\.169\.254.*refused/);
  });

  it('refuses a private target before connecting', async () => {
    await expect(guardedFetch({ guard: true })(`${base}/ok`)).rejects.toThrow(UrlRefused);
  });

  // DNS rebinding: a name may answer a public address to the check and a private one to the
  // connection. The connection's own lookup is checked, so what is reached is what was checked.
  it('checks the address a connection is made to, not only the one checked before', async () => {
    const byName = `http://localhost:${(server.address() as AddressInfo).port}/ok`;
    const refused = pinnedFetch({ guard: true })(byName);
    await expect(refused).rejects.toMatchObject({ cause: expect.any(UrlRefused) });
    await expect(refused).rejects.toMatchObject({ cause: { message: expect.stringMatching(/localhost resolves to/) } });
    const allowed = await pinnedFetch({ guard: true, allow: ['localhost'] })(byName);
    await expect(allowed.json()).resolves.toEqual({ ok: true });
    expect(pinnedFetch({ guard: false })).toBe(fetch);
  });

  it('passes a Request through (method, headers and body)', async () => {
    const sut = pinnedFetch({ guard: true, allow: ['localhost'] });
    const port = (server.address() as AddressInfo).port;
    const res = await sut(new Request(`http://localhost:${port}/ok`, { method: 'POST', body: '{}' }));
    expect(res.status).toBe(200);
  });
});
