import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { loadCliEnv } from '@wiz/config/cli-env';

const StoredSchema = z.object({ url: z.string().optional(), apiKey: z.string().optional() });
export type Stored = z.infer<typeof StoredSchema>;

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** `$XDG_CONFIG_HOME/wiz/config.json`, or `~/.config/wiz/config.json`. */
export function configFile(): string {
  return join(loadCliEnv().XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'wiz', 'config.json');
}

export function readStored(): Stored {
  try {
    return StoredSchema.parse(JSON.parse(readFileSync(configFile(), 'utf8')));
  } catch {
    return {};
  }
}

/** Saves the URL and key, readable by the user only (the key is a secret). */
export function writeStored(s: Stored): string {
  const file = configFile();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Flags beat the environment, which beats the stored login. */
export function resolveTarget(flags: { url?: string; key?: string }): { url: string; apiKey?: string } {
  const env = loadCliEnv();
  const stored = readStored();
  return {
    url: flags.url ?? env.WIZ_URL ?? stored.url ?? DEFAULT_URL,
    apiKey: flags.key ?? env.WIZ_API_KEY ?? stored.apiKey,
  };
}
