import { assertPublicUrl, isPrivateAddress } from './url-guard';

describe('assertPublicUrl', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '::1',
    'fe80::1',
    '::ffff:127.0.0.1',
  ])('counts %s as private', (a) => expect(isPrivateAddress(a)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111'])('counts %s as public', (a) =>
    expect(isPrivateAddress(a)).toBe(false),
  );

  it('refuses loopback names after resolution and literal private addresses', async () => {
    await expect(assertPublicUrl(new URL('http://localhost:9/mcp'))).rejects.toThrow(/private or loopback/);
    await expect(assertPublicUrl(new URL('http://[::1]:9/mcp'))).rejects.toThrow(/private or loopback/);
    await expect(assertPublicUrl(new URL('http://169.254.169.254/'))).rejects.toThrow(/WIZ_ALLOW_PRIVATE_URLS/);
  });

  it('lets a public address through', async () => {
    await expect(assertPublicUrl(new URL('https://8.8.8.8/mcp'))).resolves.toBeUndefined();
  });
});
