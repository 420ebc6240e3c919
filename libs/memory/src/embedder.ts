import { AgentEntity } from '@wiz/persistence';

// How memory items get their embedding: in the runtime with the agent's model endpoint (the
// model layer), in the gateway by asking a runtime over the bus (the gateway holds no keys).
export abstract class Embedder {
  /** The embedding of `text` with the agent's embedding model; null when it fails (said in the logs). */
  abstract embed(agent: AgentEntity, text: string): Promise<number[] | null>;
}
