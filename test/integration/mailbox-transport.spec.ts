import { randomUUID } from 'node:crypto';
import { Controller, INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connect, NatsConnection } from 'nats';
import { BusNames, busNames, MailboxCommand, WizError } from '@wiz/contracts';
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

/** A connection and a bus on a stream of one mailbox partition with `ackWaitMs`. */
async function mailboxBus(names: BusNames, ackWaitMs: number): Promise<{ nc: NatsConnection; bus: BusService }> {
  const nc = await connect({ servers: TEST_NATS_URL });
  const jsm = await nc.jetstreamManager();
  await provision(jsm, names, {
    partitions: 1,
    ackWaitMs,
    maxDeliver: 5,
    maxAckPending: 100,
    eventsMaxAgeMs: 3_600_000,
    replicas: 1,
  });
  return { nc, bus: new BusService(nc, jsm, names) };
}

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
    ({ nc, bus } = await mailboxBus(names, ACK_WAIT_MS));
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

/** Keeps this process's event loop late until `stop()`: a chain of callbacks, each busy 30 ms. */
function hogLoop(): { stop: () => Promise<void> } {
  let running = true;
  let done!: () => void;
  const ended = new Promise<void>((r) => (done = r));
  const step = () => {
    const until = performance.now() + 30;
    while (performance.now() < until);
    if (running) setImmediate(step);
    else done();
  };
  setImmediate(step);
  return {
    stop: () => {
      running = false;
      return ended;
    },
  };
}

// A runtime starts jobs only while its event loop is on time (WIZ_ADMIT_MAX_LAG_MS): the others wait
// in the mailbox, held and unacked. At shutdown those go back at once, unrun, for another runtime.
describe(`${MailboxTransport.name} admission`, () => {
  const iso = isolation('mboxadm');
  const names = busNames(iso.prefix);
  // An ack wait longer than the test waits for the handed-back commands: one given to the pull
  // request the closed consumer left at the server (see MailboxTransport.dropLeftPulls) would
  // come back only after it, and fail the test.
  const ACK_WAIT_MS = 60_000;
  let nc: NatsConnection;
  let bus: BusService;
  const handled: string[] = [];

  /** Jobs that started while `hold` was set, each with how to end it (else a job ends at once). */
  const started = new Map<string, () => void>();
  let hold = false;

  function transport(): MailboxTransport {
    const t = new MailboxTransport(bus, {
      partitions: [0],
      ackWaitMs: ACK_WAIT_MS,
      shutdownGraceMs: 500,
      admitMaxLagMs: 10,
    });
    t.addHandler(MAILBOX_PATTERN, (c: MailboxCommand) => {
      handled.push(c.jobId);
      if (!hold) return Promise.resolve(HANDLED);
      return new Promise((resolve) => started.set(c.jobId, () => resolve(HANDLED)));
    });
    return t;
  }

  beforeAll(async () => {
    ({ nc, bus } = await mailboxBus(names, ACK_WAIT_MS));
  });

  afterAll(async () => {
    if (nc && !nc.isClosed()) await nc.close();
    await cleanup(iso);
  });

  const send = async (): Promise<string> => {
    const agentId = randomUUID();
    const command: MailboxCommand = {
      kind: 'job.run',
      jobId: randomUUID(),
      agentId,
      ownerId: 'local',
      traceId: 't',
      priority: 0,
    };
    await bus.publish(names.mailboxSubject(0, agentId), JSON.stringify(command), command.jobId);
    return command.jobId;
  };
  const stream = async () => (await nc.jetstreamManager()).streams.info(names.streams.mailbox);
  const consumer = async () =>
    (await nc.jetstreamManager()).consumers.info(names.streams.mailbox, names.mailboxConsumer(0));

  it('holds commands while the loop runs late and hands those still waiting back at shutdown, unrun and not lost', async () => {
    const first = transport();
    await new Promise<void>((r) => first.listen(r));
    // On time: every command runs.
    const onTime = await Promise.all(Array.from({ length: 5 }, send));
    await until(async () => onTime.every((id) => handled.includes(id)), 10_000, 'the first commands run');
    await until(async () => (await stream()).state.messages === 0, 10_000, 'the first commands acked');

    // Late, with jobs that run on: the few let in before a look at the loop (and the floor of
    // jobs that always run) start, the others wait.
    hold = true;
    const hog = hogLoop();
    const late = await Promise.all(Array.from({ length: 20 }, send));
    await until(async () => (await consumer()).num_pending === 0, 20_000, 'the late commands delivered');
    await until(async () => started.size + first.awaitingAdmission === 20, 20_000, 'the late commands held or started');
    expect(started.size).toBeLessThanOrEqual(8);
    expect(first.awaitingAdmission).toBe(20 - started.size);
    const ranLate = late.filter((id) => handled.includes(id));
    expect(ranLate).toHaveLength(started.size);
    // Shutdown: those waiting go back at once, unrun; the running ones at the end of the grace period.
    await first.close();
    await hog.stop();
    hold = false;
    expect(late.filter((id) => handled.includes(id))).toEqual(ranLate);
    expect(first.awaitingAdmission).toBe(0);
    expect((await stream()).state.messages).toBe(20);

    // Another runtime with an idle loop runs every one of them, at once (the running ones again:
    // handed back at the end of the grace period, unfinished).
    const second = transport();
    await new Promise<void>((r) => second.listen(r));
    await until(
      async () => late.every((id) => handled.filter((h) => h === id).length >= (ranLate.includes(id) ? 2 : 1)),
      15_000,
      'the handed-back commands run',
      async () =>
        `ran ${late.filter((id) => handled.includes(id)).length}/20; held ${second.awaitingAdmission}; consumer ${JSON.stringify(await consumer())}`,
    );
    await until(async () => (await stream()).state.messages === 0, 10_000, 'all acked');
    await second.close();
  });
});
