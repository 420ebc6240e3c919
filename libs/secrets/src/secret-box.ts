import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const VERSION = 'v1';

// AES-256-GCM for secrets at rest (provider API keys). The key comes from WIZ_SECRET_KEY, or,
// when that is empty, from a random key generated once into <WIZ_DATA_DIR>/secret.key (0600).
// The ciphertext is `v1:<iv>:<tag>:<data>` (base64), authenticated: a wrong key fails to decrypt.
export class SecretBox {
  private cached?: Buffer;

  /** `secret` may be a function: then the key is read on first use (no key file until needed). */
  constructor(private readonly secret: string | (() => string)) {}

  private get key(): Buffer {
    this.cached ??= createHash('sha256')
      .update(typeof this.secret === 'string' ? this.secret : this.secret(), 'utf8')
      .digest();
    return this.cached;
  }

  /** From the configuration: the configured key, else the generated file's (created on first use). */
  static fromConfig(secretKey: string, dataDir: string): { box: SecretBox; source: string } {
    if (secretKey) return { box: new SecretBox(secretKey), source: 'WIZ_SECRET_KEY' };
    const file = join(resolve(dataDir), 'secret.key');
    return { box: new SecretBox(() => SecretBox.keyFile(file, dataDir)), source: file };
  }

  private static keyFile(file: string, dataDir: string): string {
    if (!existsSync(file)) {
      mkdirSync(resolve(dataDir), { recursive: true });
      // `wx`: when two processes race, one writes and the other reads the winner's key.
      try {
        writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return readFileSync(file, 'utf8').trim();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('cannot decrypt the secret: WIZ_SECRET_KEY differs from the one it was stored with');
    }
  }
}
