import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Subscription } from 'nats';
import { BusService } from '@wiz/bus';
import { WebhooksRepository } from '@wiz/persistence';
import { PeriodicWorker } from '@wiz/queue';
import { WebhookSender } from './webhook.sender';

const EVERY_MS = 500;
const BATCH = 64;

// Sends the deliveries whose next-attempt time has come: a failed attempt's backoff, a delivery
// recorded by a runtime that died before sending it, one the sender was too busy for, and those
// a gateway recorded (it says so: the `webhooks-due` control message, so they need not wait).
@Injectable()
export class WebhooksWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Webhooks');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.pass(),
    (e) => this.log.warn(`sending due webhook deliveries failed: ${String(e)}`),
  );

  private due?: Subscription;

  constructor(
    private readonly hooks: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly bus: BusService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
    this.due = this.bus.subscribeControl('webhooks-due', () => void this.loop.run());
  }

  beforeApplicationShutdown(): Promise<void> {
    this.due?.unsubscribe();
    return this.loop.stop();
  }

  private async pass(): Promise<number> {
    if (this.sender.busy) return 0;
    const due = await this.hooks.due(new Date(), BATCH);
    if (due.length) await this.sender.sendAll(due);
    return due.length;
  }
}
