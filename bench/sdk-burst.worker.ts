import { measureBurst, SdkBurstStart } from './burst';
import { modelCaller } from './model-call';
import { sdkLoopPhase } from './model-call.bench';
import { message } from './support';

// The bare AI SDK's side of the actors suite's burst, in its own process (forked by
// bench/burst.ts) so that nothing but the calls runs in its event loop: a warm-up of fast calls
// (the scripted model's echo), then `count` calls started at once, measured like Wiz's burst.
process.once('message', (m: SdkBurstStart) => {
  const run = async () => {
    const warm = modelCaller(m.llmUrl);
    await sdkLoopPhase(warm, m.warmup, 64, m.timeoutMs);
    const call = modelCaller(m.llmUrl, (i) => `${m.inputPrefix} ${i}`);
    return measureBurst(m.count, m.timeoutMs, async (i) => void (await call(i)));
  };
  run().then(
    (figures) => process.send!(figures, () => process.exit(0)),
    (e: unknown) => process.send!({ error: message(e) }, () => process.exit(1)),
  );
});
