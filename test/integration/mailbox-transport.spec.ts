import { randomUUID } from 'node:crypto';
import { Controller, INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connect, NatsConnection } from 'nats';
import { busNames, MailboxCommand, WizError } from '@wiz/contracts';
import { BusService, HANDLED, MAILBOX_PATTERN, MailboxTransport } from '@wiz/bus';
import { provision } from '../../libs/bus/src/provision';
import { HttpErrorFilter } from '../../libs/platform/src/http-exception.filter';
import { cleanup, isolation, TEST_NATS_URL } from '../support/isolation';
import { until } from '../support/until';

// What the handler does with each delivery, in order; then it succeeds.
const failures: Array<() => unknown> = [];
const calls: string[] = [];

@Controller()
class FlakyMailboxController {
  @MessagePattern(MAILBOX_PATTERN)
  handle(@Payload() command: MailboxCommand): Promise<unknown> {
    calls.push(command.jobId);
    const fail = failures.shift();
    return fail ? Promise.resolve().then(fail) : Promise.resolve(HANDLED);
  }
}

@Module({ controllers: [FlakyMailboxController] })
class FlakyModule {}

// The runtime's wiring: the mailbox transport connected with the app's config, so the global
// HTTP error filter is inherited. A handler that fails must have its command redelivered (NAK),
// never acked: an acked command is gone, and its job waits for the stalled-jobs sweep.
describe(`${MailboxTransport.name} with the app's global HTTP error filter`, () => {
  const iso = isolation('mbox');
  const names = busNames(iso.prefix);
  const ACK_WAIT_MS = 30_000;
  let nc: NatsConnection;
  let bus: BusService;
  let app: INestApplication;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    await provision(jsm, names, {
      partitions: 1,
      ackWaitMs: ACK_WAIT_MS,
      maxDeliver: 5,
      maxAckPending: 100,
      eventsMaxAgeMs: 3_600_000,
      replicas: 1,
    });
    bus = new BusService(nc, jsm, names);
    app = await NestFactory.create(FlakyModule, { logger: false });
    app.useGlobalFilters(new HttpErrorFilter());
    const transport = new MailboxTransport(bus, {
      partitions: [0],
      ackWaitMs: ACK_WAIT_MS,
      shutdownGraceMs: 1_000,
    });
    app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    if (nc && !nc.isClosed()) await nc.close();
    await cleanup(iso);
  });

  const pending = async () => (await nc.jetstreamManager()).streams.info(names.streams.mailbox);

  async function send(): Promise<string> {
    const command: MailboxCommand = {
      kind: 'job.run',
      jobId: randomUUID(),
      agentId: randomUUID(),
      ownerId: 'local',
      traceId: 'trace',
      priority: 0,
    };
    await bus.publish(names.mailboxSubject(0, command.agentId), JSON.stringify(command), command.jobId);
    return command.jobId;
  }

  it.each<[string, () => unknown, string]>([
    [
      'a store outage',
      () => {
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      },
      'Connection terminated unexpectedly',
    ],
    [
      'a typed error (a 4xx for HTTP)',
      () => {
        throw new WizError('conflict', 'revision moved on');
      },
      'revision moved on',
    ],
    [
      'an unexpected error',
      () => {
        throw new TypeError('boom');
      },
      'TypeError: boom',
    ],
    [
      'an answer other than HANDLED (what an exception filter returns)',
      () => ({ statusCode: 500 }),
      'handler answered',
    ],
  ])('redelivers a command whose handler failed with %s, well before the ack wait', async (_what, fail, reason) => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    failures.push(fail);
    const started = Date.now();
    const jobId = await send();
    await until(async () => calls.filter((c) => c === jobId).length >= 2, 10_000, 'a second delivery');
    expect(Date.now() - started).toBeLessThan(ACK_WAIT_MS / 3);
    // The handler's own error reaches the transport (not one the HTTP filter made on the way).
    expect(warn.mock.calls.map(([m]) => String(m))).toContainEqual(expect.stringContaining(reason));
    warn.mockRestore();
    // Acked once it succeeded: the work-queue stream holds nothing any more.
    await until(async () => (await pending()).state.messages === 0, 5_000, 'the command acked after success');
  });
});
