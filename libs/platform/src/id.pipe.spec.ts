import { randomUUID } from 'node:crypto';
import { WizError } from '@wiz/contracts';
import { IdPipe } from './id.pipe';

describe(IdPipe.name, () => {
  const sut = new IdPipe('job');

  it('passes a UUID through', () => {
    const id = randomUUID();
    expect(sut.transform(id)).toBe(id);
  });

  it('answers anything else as not found', () => {
    expect(() => sut.transform('nope')).toThrow(WizError);
    expect(() => sut.transform('nope')).toThrow(/job/);
  });
});
