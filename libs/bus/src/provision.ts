import {
  AckPolicy,
  ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamManager,
  nanos,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  StreamConfig,
} from 'nats';
import type { BusNames } from '@wiz/contracts';

export interface BusTopology {
  partitions: number;
  ackWaitMs: number;
  /** Lost runs of a job before it fails: counted by the store, not by JetStream deliveries. */
  maxDeliver: number;
  maxAckPending: number;
  eventsMaxAgeMs: number;
  /** Replicas of the streams: a minimum, never lowered below what an operator set. */
  replicas: number;
}

const DUPLICATE_WINDOW_MS = 120_000;
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

export function streamConfigs(names: BusNames, t: BusTopology): Array<Partial<StreamConfig> & { name: string }> {
  return [
    {
      // Work queue: a mailbox message lives until its job is done (acked), then it is gone.
      name: names.streams.mailbox,
      subjects: [`${names.prefix}.mailbox.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: t.replicas,
    },
    {
      // Lifecycle events: replayable by sequence for the configured age.
      name: names.streams.events,
      subjects: [`${names.prefix}.events.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(t.eventsMaxAgeMs),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: t.replicas,
    },
  ];
}

export function mailboxConsumerConfig(names: BusNames, t: BusTopology, partition: number): Partial<ConsumerConfig> {
  return {
    durable_name: names.mailboxConsumer(partition),
    filter_subject: names.mailboxPartitionFilter(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(t.ackWaitMs),
    // Unlimited: a command held behind its agent's running job is redelivered whenever its
    // runtime dies without having run it; the store counts the runs actually lost.
    max_deliver: -1,
    max_ack_pending: t.maxAckPending,
  };
}

// Idempotent: creates what is missing, updates what drifted, leaves the rest untouched.
export async function provision(jsm: JetStreamManager, names: BusNames, t: BusTopology): Promise<void> {
  for (const cfg of streamConfigs(names, t)) await ensureStream(jsm, cfg);
  const stream = names.streams.mailbox;
  // Earlier versions' runtimes read the events for webhooks from this consumer; now unused.
  await jsm.consumers
    .delete(names.streams.events, names.legacyWebhooksConsumer())
    .catch(ifCode(CONSUMER_NOT_FOUND, false));
  await Promise.all(
    Array.from({ length: t.partitions }, (_, p) => ensureConsumer(jsm, stream, mailboxConsumerConfig(names, t, p))),
  );
}

async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig> & { name: string }): Promise<void> {
  const have = await jsm.streams.info(want.name).catch(ifCode(STREAM_NOT_FOUND, null));
  if (!have) {
    await jsm.streams.add(want).catch(async (e) => {
      // Another process created it first: fine if it now exists.
      if (!(await jsm.streams.info(want.name).catch(() => null))) throw e;
    });
    return;
  }
  // More replicas than configured were set by an operator (or a newer deploy): keep them.
  want = { ...want, num_replicas: Math.max(want.num_replicas ?? 1, have.config.num_replicas ?? 1) };
  if (differs(want, have.config)) {
    const { retention: _r, storage: _s, ...mutable } = want;
    await jsm.streams.update(want.name, { ...have.config, ...mutable });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, want: Partial<ConsumerConfig>): Promise<void> {
  const name = want.durable_name!;
  const have = await jsm.consumers.info(stream, name).catch(ifCode(CONSUMER_NOT_FOUND, null));
  if (!have) {
    await jsm.consumers.add(stream, want).catch(async (e) => {
      if (!(await jsm.consumers.info(stream, name).catch(() => null))) throw e;
    });
    return;
  }
  if (differs(want, have.config)) {
    const { ack_wait, max_deliver, max_ack_pending } = want;
    await jsm.consumers.update(stream, name, { ack_wait, max_deliver, max_ack_pending });
  }
}

function differs(want: object, have: object): boolean {
  return Object.entries(want).some(
    ([k, v]) => JSON.stringify((have as Record<string, unknown>)[k]) !== JSON.stringify(v),
  );
}

function ifCode<T>(code: number, value: T) {
  return (e: unknown): T => {
    if ((e as { api_error?: { err_code?: number } }).api_error?.err_code === code) return value;
    throw e;
  };
}
