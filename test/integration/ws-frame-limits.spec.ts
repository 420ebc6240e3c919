import { WS_CLOSE_CODES } from '@wiz/contracts';
import { startGatewayInProcess, InProcessGateway } from '../support/gateway-app';
import { cleanup, isolation } from '../support/isolation';
import { WsClient } from '../support/ws-client';

// Frames per connection are bounded: a burst passes, frames over the rate are dropped with one
// `error` frame, a client that keeps on is closed with 4429, and other connections go on.
describe('WebSocket frame budget', () => {
  const iso = isolation('wsframes');
  let sut: InProcessGateway;
  const pings = (c: WsClient, n: number) => {
    for (let i = 0; i < n; i++) c.send({ type: 'ping' });
  };

  beforeAll(async () => {
    // 1 frame per second: the test's own pace never refills the budget by much.
    sut = await startGatewayInProcess(iso, { WIZ_WS_FRAMES_PER_SEC: '1', WIZ_WS_FRAME_BURST: '10' });
  });

  afterAll(async () => {
    await sut?.close();
    await cleanup(iso);
  });

  it('answers a burst, drops what is over it with one error frame, and stays open', async () => {
    const c = await WsClient.open(sut.wsUrl);
    pings(c, 10);
    expect(await c.take(10)).toEqual(Array.from({ length: 10 }, () => ({ type: 'pong' })));
    pings(c, 3);
    // A marker after the dropped frames: the first frame the refilled budget lets through.
    const [warning] = await c.take(1);
    expect(warning).toEqual({
      type: 'error',
      code: 'rate_limited',
      message: expect.stringContaining('1 frames per second'),
    });
    expect(c.pending().filter((f) => f.type === 'error')).toHaveLength(0);
    // One token comes back per second: the connection still answers.
    await new Promise((r) => setTimeout(r, 1_100));
    c.send({ type: 'ping' });
    expect(await c.take(1)).toEqual([{ type: 'pong' }]);
    expect(c.pending()).toEqual([]);
    await c.close();
  });

  it('closes a connection that keeps sending over the limit (4429), and leaves others open', async () => {
    const other = await WsClient.open(sut.wsUrl);
    const c = await WsClient.open(sut.wsUrl);
    const closed = c.closed();
    pings(c, 10 + 10);
    expect(await closed).toEqual({ code: WS_CLOSE_CODES.tooManyFrames, reason: 'too many frames' });
    // The burst answered, then one warning for the dropped frames, then the close.
    expect(c.pending()).toEqual([
      ...Array.from({ length: 10 }, () => ({ type: 'pong' })),
      expect.objectContaining({ type: 'error', code: 'rate_limited' }),
    ]);
    other.send({ type: 'ping' });
    expect(await other.take(1)).toEqual([{ type: 'pong' }]);
    await other.close();
  });

  it('still bounds the size of a frame (1009)', async () => {
    const c = await WsClient.open(sut.wsUrl);
    const closed = c.closed();
    c.send('x'.repeat(64 * 1024 + 1));
    expect((await closed).code).toBe(WS_CLOSE_CODES.tooBig);
  });
});
