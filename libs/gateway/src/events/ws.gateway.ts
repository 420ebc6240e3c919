import { wsClients } from '@wiz/telemetry';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { httpStatusOf, WizError } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { endWithError } from '@wiz/platform';
import { ApiKeysService } from '../auth/api-keys.service';
import { clientAddress, TrustFn } from '../limits/client-address';
import { EventsHub } from './events.hub';
import { WsConnection } from './ws.connection';

// `GET /ws`: authenticates the upgrade (an `Authorization: Bearer` header; without one the
// client must send an `auth` frame first), then hands the socket to a WsConnection. Keeps
// connections alive with pings and cuts the ones that stop answering.
@Injectable()
export class WsGateway implements BeforeApplicationShutdown {
  private readonly log = new Logger('WsGateway');
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<WebSocket, WsConnection>();
  private server?: Server;
  private trust?: TrustFn;
  private pinger?: NodeJS.Timeout;
  private closing = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return;
    void this.upgrade(req, socket, head);
  };

  constructor(
    private readonly hub: EventsHub,
    private readonly keys: ApiKeysService,
    private readonly http: HttpAdapterHost,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.WIZ_WS_MAX_FRAME_BYTES });
  }

  attach(): void {
    this.server = this.http.httpAdapter.getHttpServer() as Server;
    // The same trust as Express's req.ip (WIZ_TRUST_PROXY, set by createApp).
    this.trust = (this.http.httpAdapter.getInstance() as { get(k: string): unknown }).get('trust proxy fn') as
      TrustFn | undefined;
    this.server.on('upgrade', this.onUpgrade);
    this.pinger = setInterval(() => this.keepAlive(), this.config.WIZ_WS_PING_MS);
    this.pinger.unref();
  }

  // Before the HTTP server closes (Nest closes it before `onApplicationShutdown`): its close
  // waits for every socket, upgraded ones included, so one open client held it, and the
  // process, forever.
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.pinger);
    this.server?.off('upgrade', this.onUpgrade);
    await Promise.all([...this.wss.clients].map((ws) => closeOrCut(ws)));
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const client = clientAddress(req, this.trust);
    let auth = null;
    try {
      if (req.headers.authorization || !this.keys.enabled)
        auth = await this.keys.fromHeader(req.headers.authorization, client);
      // Without a header the key comes in an `auth` frame; a blocked address is refused now.
      else await this.keys.assertClientAllowed(client);
    } catch (e) {
      return refuse(socket, e);
    }
    // An upgrade that was authenticating when shutdown began would be a client nobody closes.
    if (this.closing) return refuse(socket, new WizError('unavailable', 'server shutting down'));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(ws, this.hub, this.keys, this.log, auth, {
        client,
        maxBufferedBytes: this.config.WIZ_WS_MAX_BUFFERED_BYTES,
        drainTimeoutMs: this.config.WIZ_REPLAY_DRAIN_TIMEOUT_MS,
        framesPerSec: this.config.WIZ_WS_FRAMES_PER_SEC,
        frameBurst: this.config.WIZ_WS_FRAME_BURST,
      });
      this.connections.set(ws, conn);
      wsClients.inc();
      ws.on('close', () => (wsClients.dec(), this.connections.delete(ws)));
    });
  }

  // A peer that has not answered the previous ping is gone (a dead TCP peer never says so).
  private keepAlive(): void {
    for (const [ws, conn] of this.connections) {
      if (!conn.alive) {
        this.hub.drop(conn);
        ws.terminate();
        continue;
      }
      conn.alive = false;
      ws.ping();
    }
  }
}

/** Says goodbye (1001) and resolves once the socket is closed: cut after 1 s if the peer does not answer. */
function closeOrCut(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => ws.terminate(), 1_000);
    ws.once('close', () => (clearTimeout(cut), resolve()));
    ws.close(1001, 'server shutting down');
  });
}

function refuse(socket: Duplex, e: unknown): void {
  const err = e instanceof WizError ? e : new WizError('internal', 'could not authenticate');
  endWithError(socket, httpStatusOf(err.code), err.code, err.message, err.retryAfterSec);
}
