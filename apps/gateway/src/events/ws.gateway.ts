import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientFrameSchema, httpStatusOf, ServerFrame, WizError } from '@wiz/contracts';
import { LOCAL_OWNER } from '@wiz/platform';
import { EventClient, EventsHub } from './events.hub';

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

// Thin entry for `GET /ws`: parses each frame against the contract and calls the hub.
// A bad frame gets an `error` frame; the connection stays usable.
@Injectable()
export class WsGateway implements OnApplicationShutdown {
  private readonly log = new Logger('WsGateway');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private server?: Server;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connection(ws));
  };

  constructor(
    private readonly hub: EventsHub,
    private readonly http: HttpAdapterHost,
  ) {}

  attach(): void {
    this.server = this.http.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
  }

  onApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    this.wss.close();
  }

  private connection(ws: WebSocket): void {
    const client: EventClient = {
      id: randomUUID(),
      ownerId: LOCAL_OWNER,
      send: (frame: ServerFrame) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        // A client that cannot keep up is cut off; it resumes with `since` when it reconnects.
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.close(1013, 'too slow: reconnect with since');
        else ws.send(JSON.stringify(frame));
      },
    };
    // Frames of one connection are handled one after the other, so answers come in order.
    let chain = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      chain = chain.then(() => this.onFrame(client, text));
    });
    ws.on('close', () => this.hub.drop(client));
    ws.on('error', (e) => this.log.debug(`ws error: ${e.message}`));
  }

  private async onFrame(client: EventClient, text: string | null): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text ?? '');
    } catch {
      return client.send({ type: 'error', code: 'malformed_json', message: 'frames must be JSON text' });
    }
    const parsed = ClientFrameSchema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`).join('; ');
      return client.send({ type: 'error', code: 'validation_failed', message: `invalid frame: ${message}` });
    }
    const frame = parsed.data;
    try {
      switch (frame.type) {
        case 'subscribe':
          return await this.hub.subscribe(client, frame.topic, frame.since);
        case 'unsubscribe':
          this.hub.unsubscribe(client, frame.topic);
          return client.send({ type: 'unsubscribed', topic: frame.topic });
        case 'ping':
          return client.send({ type: 'pong' });
      }
    } catch (e) {
      const topic = 'topic' in frame ? frame.topic : undefined;
      if (frame.type === 'subscribe') this.hub.unsubscribe(client, frame.topic);
      const err = e instanceof WizError ? e : new WizError('internal', 'could not process the frame');
      if (httpStatusOf(err.code) >= 500) this.log.error(e instanceof Error ? e.message : String(e));
      client.send({ type: 'error', code: err.code, message: err.message, ...(topic ? { topic } : {}) });
    }
  }
}
