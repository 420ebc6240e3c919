import { createHash, randomBytes } from 'node:crypto';

// A key is 32 random bytes (256 bits), so a fast hash is enough to store it: a slow password
// hash (bcrypt, argon2) protects low-entropy secrets against guessing, and nobody can enumerate
// 2^256 keys. SHA-256 also lets a request find its key with one indexed equality look-up.
export const KEY_PREFIX = 'wiz_';

export const generateKey = (): string => `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
/** What a key list shows to recognise a key: its first 12 characters. */
export const displayPrefix = (key: string): string => key.slice(0, 12);

/** The key of an `Authorization: Bearer <key>` header, or null. */
export const bearerOf = (header: string | string[] | undefined): string | null => {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m ? m[1]! : null;
};
