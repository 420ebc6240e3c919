import { WizClient, WizClientOptions } from '@wiz/client';

/**
 * The WizClients a spec opens, closed together in its afterAll. A client reconnects with backoff
 * until it is closed: one left open by a test that failed mid-way (its `finally` never reached,
 * the body still awaiting events) reconnected to the stopped server forever and held jest.
 */
export class WizClients {
  private readonly all = new Set<WizClient>();

  open(options: WizClientOptions): WizClient {
    const c = new WizClient(options);
    this.all.add(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.all) c.close();
    this.all.clear();
  }
}
