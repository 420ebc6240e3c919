import { z } from 'zod';

// The `wiz` command line's environment: where the server is and the key to use. Both override
// what `wiz login` stored; XDG_CONFIG_HOME says where that file lives (default ~/.config).
export const CliEnvSchema = z.object({
  WIZ_URL: z
    .url()
    .optional()
    .describe('the Wiz server the CLI talks to (default: the stored one, else http://127.0.0.1:8080)'),
  WIZ_API_KEY: z.string().min(1).optional().describe('the API key the CLI sends (default: the stored one)'),
  XDG_CONFIG_HOME: z
    .string()
    .min(1)
    .optional()
    .describe('base directory of user configuration files (default ~/.config)'),
});
export type CliEnv = z.infer<typeof CliEnvSchema>;

/** The CLI's variables, from `env` (the process environment by default); empty values count as unset. */
export function loadCliEnv(env: Record<string, string | undefined> = process.env): CliEnv {
  const input = Object.fromEntries(Object.keys(CliEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const r = CliEnvSchema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(
    `invalid environment:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
  );
}
