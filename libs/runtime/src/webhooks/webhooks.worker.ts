import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WebhooksRepository } from '@wiz/persistence';
import { PeriodicWorker } from '@wiz/queue';
import { WebhookSender } from './webhook.sender';

const EVERY_MS = 500;
const BATCH = 64;

// Retries: sends the deliveries whose next-attempt time has come (a failed attempt's backoff,
// a delivery recorded by a runtime that died before sending it, one the sender was too busy for).
@Injectable()
export class WebhooksWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Webhooks');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.pass(),
    (e) => this.log.warn(`sending due webhook deliveries failed: ${String(e)}`),
  );

  constructor(
    private readonly hooks: WebhooksRepository,
    private readonly sender: WebhookSender,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<number> {
    if (this.sender.busy) return 0;
    const due = await this.hooks.due(new Date(), BATCH);
    if (due.length) await this.sender.sendAll(due);
    return due.length;
  }
}
