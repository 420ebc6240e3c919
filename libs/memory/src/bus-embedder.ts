import { Inject, Injectable, Logger } from '@nestjs/common';
import { EmbedReplySchema, EmbedRequest } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentEntity } from '@wiz/persistence';
import { Embedder } from './embedder';

// The gateway's embedder: asks one runtime (request/reply on `<p>.request.embed`), which resolves
// the agent's provider and its key. No runtime answering, or a failed call: null.
@Injectable()
export class BusEmbedder extends Embedder {
  private readonly log = new Logger('Memory');

  constructor(
    private readonly bus: BusService,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {
    super();
  }

  async embed(agent: AgentEntity, text: string): Promise<number[] | null> {
    const request: EmbedRequest = { ownerId: agent.ownerId, model: agent.model, text };
    try {
      const msg = await this.bus.nc.request(this.bus.names.request('embed'), JSON.stringify(request), {
        timeout: this.config.WIZ_LLM_TIMEOUT_MS,
      });
      const reply = EmbedReplySchema.parse(msg.json());
      if ('embedding' in reply) return reply.embedding;
      this.log.warn(`embedding for agent ${agent.id} failed: ${reply.error}`);
    } catch (e) {
      this.log.warn(`embedding for agent ${agent.id} failed: no runtime answered (${(e as Error).message})`);
    }
    return null;
  }
}
