import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FakeLlmServer } from './fake-llm.server';
import { FakeLlmRule, FakeLlmRulesInputSchema, toRuleList } from './rules';

const USAGE = 'usage: fake-llm [--port 8090] [--host 127.0.0.1] [--script rules.json]';

// CLI for trying Wiz offline. Configured from argv only: config from env belongs to the config lib.
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      script: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be 0-65535, got '${values.port}'`);
  const rules = values.script ? await loadScript(values.script) : [];

  const server = new FakeLlmServer({ rules });
  const baseUrl = await server.start(port, values.host);
  console.log(`fake-llm listening on ${baseUrl} (${rules.length} scripted rule(s))`);
  console.log(`point Wiz at it with: OPENAI_BASE_URL=${baseUrl} OPENAI_API_KEY=fake`);

  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function loadScript(file: string): Promise<FakeLlmRule[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read script ${file}: ${(error as Error).message}`);
  }
  const parsed = FakeLlmRulesInputSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new CliError(`invalid script ${file}:\n${issues}`);
  }
  return toRuleList(parsed.data);
}

class CliError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Expected failures (bad flags, bad script, port in use) get one line; anything else keeps its stack.
  const code = (error as { code?: unknown } | null)?.code;
  const badUsage = error instanceof CliError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
  const known = badUsage || typeof code === 'string';
  console.error(`fake-llm: ${known ? (error as Error).message : String((error as Error).stack ?? error)}`);
  if (badUsage) console.error(USAGE);
  process.exit(1);
});
