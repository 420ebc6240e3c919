import { parseConfig } from '@wiz/config';
import { AgentStateEntity } from '@wiz/persistence';
import { AgentStateCache, approxBytes } from './agent-state.cache';

const state = (agentId: string, note = 'x'): AgentStateEntity =>
  Object.assign(new AgentStateEntity(), {
    agentId,
    ownerId: 'o',
    goals: [],
    learnings: [note],
    activities: [],
    knowledge: {},
    updatedAt: new Date(),
  });

describe(AgentStateCache.name, () => {
  const make = (mb = 1) => new AgentStateCache(parseConfig({ WIZ_AGENT_STATE_CACHE_MB: String(mb) }));
  const a = { id: 'a', partition: 0 };
  const b = { id: 'b', partition: 1 };

  it('keeps a state read while the partition is leased, and returns it until the lease is lost', () => {
    const sut = make();
    sut.gained(0);
    const s = state('a');
    sut.put(a, sut.ticket(a), s);
    expect(sut.get(a)).toBe(s);
    sut.lost(0);
    expect(sut.has('a')).toBe(false);
    expect(sut.get(a)).toBeUndefined();
  });

  it('keeps nothing for a partition not leased, nor what was read in an earlier tenure', () => {
    const sut = make();
    sut.put(b, sut.ticket(b), state('b'));
    expect(sut.has('b')).toBe(false);
    sut.gained(1);
    const ticket = sut.ticket(b);
    sut.lost(1);
    sut.gained(1);
    sut.put(b, ticket, state('b')); // read before the lease moved and came back
    expect(sut.get(b)).toBeUndefined();
  });

  it('keeps "no state yet" (null) apart from "nothing kept" (undefined)', () => {
    const sut = make();
    sut.gained(0);
    sut.put(a, sut.ticket(a), null);
    expect(sut.get(a)).toBeNull();
  });

  it('stays within its memory bound, least recently used out first; 0 keeps nothing', () => {
    const big = 'y'.repeat(200_000); // ~400 KB each: two fit in 1 MB, three do not
    const sut = make(1);
    sut.gained(0);
    const ids = ['a', 'b', 'c'].map((id) => ({ id, partition: 0 }));
    sut.put(ids[0]!, sut.ticket(ids[0]!), state('a', big));
    sut.put(ids[1]!, sut.ticket(ids[1]!), state('b', big));
    sut.get(ids[0]!); // a is now the most recently used
    sut.put(ids[2]!, sut.ticket(ids[2]!), state('c', big));
    expect(['a', 'b', 'c'].filter((id) => sut.has(id))).toEqual(['a', 'c']);
    expect(sut.size.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(sut.size.bytes).toBe(approxBytes(state('a', big)) * 2);

    const off = make(0);
    off.gained(0);
    off.put(a, off.ticket(a), state('a'));
    expect(off.has('a')).toBe(false);
  });
});
