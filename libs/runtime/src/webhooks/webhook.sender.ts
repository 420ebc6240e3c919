import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { clip, DeliveryAttempt } from '@wiz/contracts';
import { urlPolicyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { WebhookDeliveryEntity, WebhookEntity, WebhooksRepository } from '@wiz/persistence';
import { assertPublicUrl, pinnedFetch } from '@wiz/net';
import { WebhookDeliveries } from '@wiz/queue';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';
import { signWebhook } from './webhook-signature';

const SNIPPET_CHARS = 500;
const MAX_BACKOFF_MS = 3_600_000;
const MAX_IN_FLIGHT = 64;

// Sends one delivery: claims it (moves its next-attempt time past the request's timeout, so no
// other sender takes it meanwhile), POSTs the stored body signed with the webhook's secret, and
// records the attempt: delivered on a 2xx, else retried with exponential backoff until
// WIZ_WEBHOOK_MAX_ATTEMPTS, then failed. A delivery it cannot take now (too many in flight)
// stays due, for the sweep. It sends what this process records as soon as it is committed.
@Injectable()
export class WebhookSender implements OnModuleInit {
  private readonly log = new Logger('Webhooks');
  private inFlight = 0;

  constructor(
    private readonly hooks: WebhooksRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  onModuleInit(): void {
    // Not awaited by the committer: a failure (the store unreachable) leaves them due, for the sweep.
    this.deliveries.sendWith(
      (rows) => void this.sendAll(rows).catch((e) => this.log.warn(`sending new deliveries failed: ${String(e)}`)),
    );
  }

  get busy(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT;
  }

  /** Starts sending `rows` (not awaited by the caller: the store holds them until done). */
  async sendAll(rows: WebhookDeliveryEntity[]): Promise<void> {
    const hooks = new Map(
      (await this.hooks.findByIds([...new Set(rows.map((r) => r.webhookId))])).map((h) => [h.id, h]),
    );
    // Recorded by a process that had not yet heard of the webhook's deletion: nothing to send.
    await this.hooks.deleteDeliveries(rows.filter((r) => !hooks.has(r.webhookId)).map((r) => r.id));
    await Promise.all(
      rows.map(async (row) => {
        const hook = hooks.get(row.webhookId);
        if (!hook || this.busy) return;
        this.inFlight++;
        try {
          await this.send(hook, row);
        } catch (e) {
          this.log.warn(`delivery ${row.id} to webhook ${hook.id}: ${String(e)}`);
        } finally {
          this.inFlight--;
        }
      }),
    );
  }

  private async send(hook: WebhookEntity, row: WebhookDeliveryEntity): Promise<void> {
    const timeoutMs = this.config.WIZ_WEBHOOK_TIMEOUT_MS;
    if (!(await this.hooks.claim(row.id, row.nextAttemptAt, new Date(Date.now() + 2 * timeoutMs + 1_000)))) return;
    const at = new Date();
    const attempt = await this.post(hook, row, timeoutMs);
    const record: DeliveryAttempt = { at: at.toISOString(), durationMs: Date.now() - at.getTime(), ...attempt.result };
    row.attemptCount += 1;
    row.attempts = [...row.attempts, record].slice(-20);
    if (attempt.ok) {
      Object.assign(row, { status: 'delivered', deliveredAt: new Date(), nextAttemptAt: null });
    } else if (row.attemptCount >= this.config.WIZ_WEBHOOK_MAX_ATTEMPTS) {
      Object.assign(row, { status: 'failed', nextAttemptAt: null });
    } else {
      const wait = Math.min(MAX_BACKOFF_MS, this.config.WIZ_WEBHOOK_RETRY_MS * 2 ** (row.attemptCount - 1));
      row.nextAttemptAt = new Date(Date.now() + wait);
    }
    await this.hooks.recordAttempt(row);
  }

  private async post(
    hook: WebhookEntity,
    row: WebhookDeliveryEntity,
    timeoutMs: number,
  ): Promise<{ ok: boolean; result: Omit<DeliveryAttempt, 'at' | 'durationMs'> }> {
    const fail = (error: string, responseCode: number | null = null, responseSnippet: string | null = null) => ({
      ok: false,
      result: { responseCode, responseSnippet, error },
    });
    try {
      // Checked again before each send (what the name resolves to may have changed), and pinned:
      // the connection goes to the address that passed the check.
      const policy = urlPolicyOf(this.config);
      await assertPublicUrl(hook.url, policy);
      const res = await pinnedFetch(policy)(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'wiz-webhooks',
          'wiz-signature': signWebhook(
            this.secrets.decrypt(hook.secretEncrypted),
            row.body,
            Math.floor(Date.now() / 1000),
          ),
          'wiz-delivery-id': row.id,
          'wiz-event-type': row.eventType,
        },
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const snippet = clip(await readSnippet(res), SNIPPET_CHARS);
      if (res.status >= 200 && res.status < 300)
        return { ok: true, result: { responseCode: res.status, responseSnippet: snippet, error: null } };
      return fail(`the receiver answered ${res.status}`, res.status, snippet);
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      return fail(
        err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (err.cause?.code ?? err.cause?.message ?? err.message),
      );
    }
  }
}

// The start of the answer only: a receiver may send anything, of any size.
async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < 4 * SNIPPET_CHARS) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString('utf8');
}
