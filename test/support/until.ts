// Polls `check` until it holds, for state that is only observable by asking (REST, the stream).
// On timeout the error says what was awaited and, through `describe`, what was last seen.
export async function until(
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
  describe: () => string | Promise<string> = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms: ${what}. ${await describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
