import { parseConfig } from '@wiz/config';
import { limitsOf } from './budget';

describe(limitsOf.name, () => {
  const config = parseConfig({ WIZ_AGENT_MAX_STEPS: '7' });

  it("takes the agent's own budget first, then the configured defaults", () => {
    expect(limitsOf({ maxTokens: 500 }, config)).toEqual({
      planning: true,
      maxSteps: 7,
      maxTokens: 500,
      maxWallMs: 600_000,
      maxIterations: 3,
    });
    expect(limitsOf({ planning: false, maxSteps: 2 }, config)).toMatchObject({ planning: false, maxSteps: 2 });
  });
});
