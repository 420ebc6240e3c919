import { createHmac } from 'node:crypto';

/** `Wiz-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. */
export function signWebhook(secret: string, body: string, unixSec: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSec}.${body}`).digest('hex');
  return `t=${unixSec},v1=${mac}`;
}
