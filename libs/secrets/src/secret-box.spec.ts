import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box';

describe(SecretBox.name, () => {
  const sut = new SecretBox('a-secret-key-of-at-least-32-characters!');

  it('round-trips and never shows the plain text', () => {
    const sealed = sut.encrypt('sk-live-123');
    expect(sealed).not.toContain('sk-live-123');
    expect(sealed).not.toBe(sut.encrypt('sk-live-123')); // random IV
    expect(sut.decrypt(sealed)).toBe('sk-live-123');
  });

  it('refuses another key and tampered data', () => {
    const sealed = sut.encrypt('sk-live-123');
    expect(() => new SecretBox('another-key-of-at-least-32-characters!!').decrypt(sealed)).toThrow(/WIZ_SECRET_KEY/);
    const [v, iv, tag, data] = sealed.split(':');
    const flipped = Buffer.from(data!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => sut.decrypt([v, iv, tag, flipped.toString('base64')].join(':'))).toThrow();
  });

  it('generates one key file when none is configured, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wiz-secret-'));
    try {
      const first = SecretBox.fromConfig('', dir);
      const second = SecretBox.fromConfig('', dir);
      expect(first.source).toBe(join(dir, 'secret.key'));
      expect(() => statSync(first.source)).toThrow(); // not before it is needed
      const sealed = first.box.encrypt('x');
      expect(statSync(first.source).mode & 0o777).toBe(0o600);
      expect(readFileSync(first.source, 'utf8').length).toBeGreaterThanOrEqual(32);
      expect(second.box.decrypt(sealed)).toBe('x');
      expect(SecretBox.fromConfig('a-secret-key-of-at-least-32-characters!', dir).source).toBe('WIZ_SECRET_KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
