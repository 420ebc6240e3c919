import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { embed } from 'ai';
import { Subscription } from 'nats';
import { EmbedReply, EmbedRequestSchema, ModelConfig } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { LlmService } from '@wiz/llm';
import { Embedder } from '@wiz/memory';
import { AgentEntity } from '@wiz/persistence';

// The runtime's embedder: AI SDK `embed` with the embedding model of the agent's endpoint.
@Injectable()
export class LlmEmbedder extends Embedder {
  private readonly log = new Logger('Memory');

  constructor(private readonly llm: LlmService) {
    super();
  }

  async embed(agent: AgentEntity, text: string): Promise<number[] | null> {
    const reply = await this.embedFor(agent.ownerId, agent.model, text);
    if ('embedding' in reply) return reply.embedding;
    this.log.warn(`embedding for agent ${agent.id} failed: ${reply.error}`);
    return null;
  }

  /** The embedding, or why it failed (without secrets). */
  async embedFor(ownerId: string, model: ModelConfig, text: string): Promise<EmbedReply> {
    try {
      const e = await this.llm.embedder(ownerId, model);
      return { embedding: (await embed({ model: e.model, value: text, maxRetries: e.maxRetries })).embedding };
    } catch (e) {
      return { error: this.llm.describe(e, { endpoint: "the agent's endpoint", keyHint: 'its API key' }) };
    }
  }
}

// Serves the gateways' embedding requests (`<p>.request.embed`, one runtime of the queue group
// answers): the gateway holds no provider keys and never loads the model layer.
@Injectable()
export class EmbedResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Memory');
  private sub?: Subscription;

  constructor(
    private readonly bus: BusService,
    private readonly embedder: LlmEmbedder,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.nc.subscribe(this.bus.names.request('embed'), {
      queue: 'wiz-runtime',
      callback: (err, msg) => {
        if (err) return;
        let request;
        try {
          request = EmbedRequestSchema.parse(msg.json());
        } catch (e) {
          this.log.warn(`ignoring malformed embed request: ${String(e)}`);
          msg.respond(JSON.stringify({ error: 'malformed embed request' } satisfies EmbedReply));
          return;
        }
        void this.embedder
          .embedFor(request.ownerId, request.model, request.text)
          .then((reply) => msg.respond(JSON.stringify(reply)));
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }
}
