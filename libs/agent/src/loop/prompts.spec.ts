import { extractJson, memorySection, planSection, retryRequest, validationRequest } from './prompts';

describe(extractJson.name, () => {
  it('finds the JSON object in prose or code fences', () => {
    expect(extractJson('Sure! ```json\n{"passed": true, "feedback": ""}\n```')).toEqual({ passed: true, feedback: '' });
  });

  it('gives undefined when there is none, or it does not parse', () => {
    expect(extractJson('echo: hello')).toBeUndefined();
    expect(extractJson('{not json}')).toBeUndefined();
  });
});

describe(planSection.name, () => {
  it('numbers the steps and lists the criteria', () => {
    const sut = planSection({ steps: ['read', 'write'], validationCriteria: ['is short'] });
    expect(sut).toBe('Your plan:\n1. read\n2. write\nDone when:\n- is short');
  });
});

describe(validationRequest.name, () => {
  it('shows the task, the criteria and the answer', () => {
    const sut = validationRequest('sum 1+1', { steps: ['add'], validationCriteria: ['is 2'] }, '2');
    expect(sut).toBe('Task:\nsum 1+1\n\nValidation criteria:\n- is 2\n\nAnswer:\n2');
    expect(retryRequest({ passed: false, feedback: 'wrong' })).toContain('Feedback: wrong');
  });
});

describe(memorySection.name, () => {
  it('is empty without a state, and shows the latest of each part', () => {
    expect(memorySection(null)).toBe('');
    const sut = memorySection({
      agentId: 'a',
      ownerId: 'o',
      goals: ['be right'],
      learnings: Array.from({ length: 30 }, (_, i) => `l${i}`),
      knowledge: { db: 'postgres' },
      activities: [{ jobId: 'j', input: 'q', outcome: 'completed', summary: 'a', at: '' }],
      updatedAt: new Date(),
    });
    expect(sut).toContain('- be right');
    expect(sut).toContain('- l29');
    expect(sut).not.toContain('- l9\n');
    expect(sut).toContain('- db: postgres');
    expect(sut).toContain('- completed: q → a');
  });
});
