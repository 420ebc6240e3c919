import { connect, ErrorCode, NatsConnection, NatsError } from 'nats';
import { RequestOne } from 'nats/lib/nats-base-client/request';
import { lightenRequestCancel } from '../../libs/bus/src/nats-requests';
import { TEST_NATS_URL } from '../support/isolation';

// The installed nats.js has the shape the lighter cancel relies on, and requests behave as before.
describe('lightenRequestCancel', () => {
  let nc: NatsConnection;
  const before = RequestOne.prototype.cancel;

  beforeAll(async () => {
    lightenRequestCancel();
    nc = await connect({ servers: TEST_NATS_URL, noAsyncTraces: true });
  });

  afterAll(() => nc.close());

  it("replaces nats.js's request cancel (a nats.js upgrade that moved it fails here)", () => {
    expect(RequestOne.prototype.cancel).not.toBe(before);
  });

  it('answers a request, fails one with no responder or past its time with the same codes', async () => {
    const subject = `lighten.${Date.now()}`;
    const sub = nc.subscribe(`${subject}.echo`, { callback: (_e, m) => m.respond(m.data) });
    expect(new TextDecoder().decode((await nc.request(`${subject}.echo`, 'hi')).data)).toBe('hi');
    await expect(nc.request(`${subject}.nobody`, 'x', { timeout: 500 })).rejects.toMatchObject({
      code: ErrorCode.NoResponders,
    });
    const silent = nc.subscribe(`${subject}.silent`, { callback: () => undefined });
    const late = await nc.request(`${subject}.silent`, 'x', { timeout: 100 }).catch((e: NatsError) => e);
    expect(late).toBeInstanceOf(NatsError);
    expect((late as NatsError).code).toBe(ErrorCode.Timeout);
    sub.unsubscribe();
    silent.unsubscribe();
  });
});
