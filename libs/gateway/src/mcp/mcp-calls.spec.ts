import { cancelledIds, McpCalls } from './mcp-calls';

const alice = { ownerId: 'alice', admin: false, keyId: 'k1' };
const bob = { ownerId: 'bob', admin: false, keyId: 'k2' };
const cancel = (requestId: unknown) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } });

describe(McpCalls.name, () => {
  it('reads the cancelled request ids of a message or a batch, nothing else', () => {
    expect(cancelledIds(cancel(3))).toEqual([3]);
    expect(cancelledIds([cancel('a'), { jsonrpc: '2.0', id: 1, method: 'tools/list' }, cancel({})])).toEqual(['a']);
    expect(cancelledIds(undefined)).toEqual([]);
    expect(cancelledIds('x')).toEqual([]);
  });

  it("aborts the caller's call with that id, not another caller's", () => {
    const sut = new McpCalls();
    const mine = sut.open(alice, 1, new AbortController().signal);
    const theirs = sut.open(bob, 1, new AbortController().signal);
    sut.cancelFrom(alice, cancel(1));
    expect([mine.signal.aborted, theirs.signal.aborted]).toEqual([true, false]);
  });

  it('follows the request signal, forgets ended calls and cancels none when the id is ambiguous', () => {
    const sut = new McpCalls();
    const request = new AbortController();
    const a = sut.open(alice, 7, request.signal);
    const b = sut.open(alice, 7, new AbortController().signal);
    sut.cancelFrom(alice, cancel(7));
    expect([a.signal.aborted, b.signal.aborted]).toEqual([false, false]);
    request.abort();
    expect(a.signal.aborted).toBe(true);
    a.done();
    sut.cancelFrom(alice, cancel(7));
    expect(b.signal.aborted).toBe(true);
    b.done();
    expect(sut.size).toBe(0);
  });
});
