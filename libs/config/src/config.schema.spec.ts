import { authEnabled, describeConfig, parseConfig, rateLimitPerMin, trustProxyOf } from './config.schema';

const SECRET = 'a-secret-key-of-at-least-32-characters!';

describe(parseConfig.name, () => {
  it('applies the documented defaults', () => {
    const sut = parseConfig({});
    expect(sut.PORT).toBe(8080);
    expect(sut.DATABASE_URL).toBe('');
    expect(sut.WIZ_DATA_DIR).toBe('./data');
    expect(sut.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(sut.WIZ_BUS_PREFIX).toBe('wiz');
    expect(sut.WIZ_DEFAULT_MODEL).toBe('gpt-4o-mini');
    expect(sut.WIZ_NATS_AUTOSTART).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ PORT: '', WIZ_NATS_AUTOSTART: '' }).PORT).toBe(8080);
  });

  it('parses values', () => {
    const sut = parseConfig({
      PORT: '9000',
      WIZ_NATS_AUTOSTART: 'false',
      DATABASE_URL: 'postgres://x@h/db',
      WIZ_SECRET_KEY: SECRET,
    });
    expect(sut).toMatchObject({ PORT: 9000, WIZ_NATS_AUTOSTART: false, DATABASE_URL: 'postgres://x@h/db' });
  });

  it('names every invalid variable', () => {
    expect(() => parseConfig({ PORT: 'x', WIZ_BUS_PREFIX: 'A.B', DATABASE_URL: 'mysql://h' })).toThrow(
      /PORT[\s\S]*DATABASE_URL[\s\S]*WIZ_BUS_PREFIX|PORT[\s\S]*WIZ_BUS_PREFIX[\s\S]*DATABASE_URL/,
    );
  });

  describe('WIZ_SECRET_KEY with DATABASE_URL', () => {
    it('refuses Postgres without a secret key, naming the variable and why', () => {
      for (const key of [undefined, '']) {
        expect(() => parseConfig({ DATABASE_URL: 'postgres://x@h/db', WIZ_SECRET_KEY: key })).toThrow(
          /WIZ_SECRET_KEY: required when DATABASE_URL is set .*unreadable elsewhere/,
        );
      }
    });

    it('accepts Postgres with a secret key, and SQLite without one', () => {
      expect(parseConfig({ DATABASE_URL: 'postgresql://x@h/db', WIZ_SECRET_KEY: SECRET }).WIZ_SECRET_KEY).toBe(SECRET);
      expect(parseConfig({ DATABASE_URL: '' }).WIZ_SECRET_KEY).toBe('');
      expect(parseConfig({}).WIZ_SECRET_KEY).toBe('');
    });

    it('still refuses a short key first', () => {
      expect(() => parseConfig({ DATABASE_URL: 'postgres://x@h/db', WIZ_SECRET_KEY: 'short' })).toThrow(
        /WIZ_SECRET_KEY: must be at least 32 characters/,
      );
    });
  });

  it('describes every variable', () => {
    for (const row of describeConfig()) expect(row.description).not.toBe('');
  });
});

describe(authEnabled.name, () => {
  it.each([
    [{}, false],
    [{ HOST: '0.0.0.0' }, true],
    [{ HOST: '127.0.0.1', WIZ_AUTH: 'on' }, true],
    [{ HOST: '::1', WIZ_AUTH: 'off' }, false],
  ])('resolves %p to %p', (env, on) => {
    expect(authEnabled(parseConfig(env))).toBe(on);
  });

  it('refuses auth off on a non-loopback interface', () => {
    expect(() => parseConfig({ HOST: '0.0.0.0', WIZ_AUTH: 'off' })).toThrow(/WIZ_AUTH: "off" is only allowed/);
  });

  it('refuses a short admin key', () => {
    expect(() => parseConfig({ WIZ_ADMIN_KEY: 'short' })).toThrow(/WIZ_ADMIN_KEY/);
  });
});

describe(rateLimitPerMin.name, () => {
  it.each([
    [{}, 0], // loopback, authentication off: no limit unless configured
    [{ WIZ_RATE_LIMIT_PER_MIN: '' }, 0],
    [{ WIZ_RATE_LIMIT_PER_MIN: '50' }, 50],
    [{ HOST: '127.0.0.1', WIZ_AUTH: 'on' }, 600],
    [{ HOST: '0.0.0.0' }, 600],
    [{ HOST: '0.0.0.0', WIZ_RATE_LIMIT_PER_MIN: '0' }, 0],
    [{ HOST: '0.0.0.0', WIZ_RATE_LIMIT_PER_MIN: '1200' }, 1200],
  ])('resolves %p to %p requests per minute', (env, limit) => {
    expect(rateLimitPerMin(parseConfig(env))).toBe(limit);
  });

  it('refuses a negative limit', () => {
    expect(() => parseConfig({ WIZ_RATE_LIMIT_PER_MIN: '-1' })).toThrow(/WIZ_RATE_LIMIT_PER_MIN/);
  });
});

describe(trustProxyOf.name, () => {
  it.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback', ['loopback']],
    [' 10.0.0.0/8, loopback ,', ['10.0.0.0/8', 'loopback']],
  ])('reads %p as Express trust proxy %p', (value, expected) => {
    expect(trustProxyOf(parseConfig({ WIZ_TRUST_PROXY: value }))).toEqual(expected);
  });

  it.each(['proxy.internal', '10.0.0.0/8/1', 'true,loopback', '10.0.0.300'])('refuses %p at boot', (value) => {
    expect(() => parseConfig({ WIZ_TRUST_PROXY: value })).toThrow(/WIZ_TRUST_PROXY/);
  });
});
