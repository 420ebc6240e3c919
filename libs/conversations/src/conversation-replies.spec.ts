import { JobEntity } from '@wiz/persistence';
import { apologyFor } from './conversation-replies';

describe(apologyFor.name, () => {
  it('says what went wrong and how to retry', () => {
    const job = Object.assign(new JobEntity(), { id: 'j1', failureReason: 'model endpoint answered HTTP 500' });
    expect(apologyFor(job)).toBe(
      'Sorry, I could not answer this: model endpoint answered HTTP 500. You can send your message again, or retry the job (POST /api/v1/jobs/j1/retry).',
    );
  });

  it('has a reason even when the job has none', () => {
    expect(apologyFor(Object.assign(new JobEntity(), { id: 'j2', failureReason: null }))).toMatch(
      /^Sorry, I could not answer this: the job failed\./,
    );
  });
});
