import { randomUUID } from 'node:crypto';
import { connect, NatsConnection } from 'nats';
import { busNames, ControlMessage } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { isolation, TEST_NATS_URL } from '../support/isolation';

// Control messages (`<p>.control.<kind>`) go out and come in through the table of schemas in
// contracts: a malformed one never reaches a handler, an invalid one never leaves.
describe('BusService control messages', () => {
  const iso = isolation('control');
  let nc: NatsConnection;
  let sut: BusService;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    sut = new BusService(nc, await nc.jetstreamManager(), busNames(iso.prefix));
  });
  afterAll(async () => {
    await nc.close();
  });

  it('delivers a valid wake and drops malformed ones before the handler', async () => {
    const agentId = randomUUID();
    const got: ControlMessage<'wake'>[] = [];
    const received = new Promise<void>((resolve) => {
      const sub = sut.subscribeControl('wake', (m) => {
        got.push(m);
        sub.unsubscribe();
        resolve();
      });
    });
    nc.publish(sut.names.control('wake'), 'not json');
    nc.publish(sut.names.control('wake'), JSON.stringify({ agentId: 'not-a-uuid' }));
    sut.publishControl('wake', { agentId });
    await received;
    expect(got).toEqual([{ agentId }]);
  });

  it('delivers a cancel with its fields on its own subject', async () => {
    const signal = { jobId: randomUUID(), agentId: randomUUID(), reason: 'cancelled by the user' };
    const received = new Promise<ControlMessage<'cancel'>>((resolve) => {
      const sub = sut.subscribeControl('cancel', (m) => {
        sub.unsubscribe();
        resolve(m);
      });
    });
    expect(sut.names.control('cancel')).toBe(`${iso.prefix}.control.cancel`);
    sut.publishControl('cancel', signal);
    await expect(received).resolves.toEqual(signal);
  });

  it('refuses to publish an invalid payload', () => {
    expect(() => sut.publishControl('wake', { agentId: 'nope' })).toThrow();
  });
});
