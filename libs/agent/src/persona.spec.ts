import { systemPromptOf, taskMessages } from './persona';

describe(systemPromptOf.name, () => {
  const persona = { name: 'Ada', role: 'a careful reviewer', backstory: null, goal: null, systemPrompt: null };

  it('derives the prompt from the persona', () => {
    const sut = systemPromptOf({ ...persona, backstory: 'Ex-compiler engineer.', goal: 'Find bugs.' });
    expect(sut).toContain('You are Ada, a careful reviewer.');
    expect(sut).toContain('Backstory: Ex-compiler engineer.');
    expect(sut).toContain('Your goal: Find bugs.');
  });

  it('leaves out what is not set', () => {
    const sut = systemPromptOf(persona);
    expect(sut).not.toContain('Backstory');
    expect(sut).not.toContain('goal');
  });

  it('uses an explicit system prompt as is', () => {
    expect(systemPromptOf({ ...persona, systemPrompt: 'Only say yes.' })).toBe('Only say yes.');
  });
});

describe(taskMessages.name, () => {
  it('sends the input as the user message', () => {
    expect(taskMessages('hello', null)).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('appends job data as JSON', () => {
    const [sut] = taskMessages('sum these', { numbers: [1, 2] });
    expect(sut!.content).toContain('sum these');
    expect(sut!.content).toContain('"numbers"');
  });
});

describe('systemPromptOf with rules and tools', () => {
  const persona = { name: 'Ada', role: 'a careful reviewer', backstory: null, goal: null, systemPrompt: null };

  it('lists behavior rules and tools', () => {
    const sut = systemPromptOf({ ...persona, behaviorRules: ['Answer in French.'] }, [
      { name: 'finish', description: 'give the answer' },
    ]);
    expect(sut).toContain('Behavior rules (always follow them):\n- Answer in French.');
    expect(sut).toContain('Tools you can use:\n- finish: give the answer');
  });
});
