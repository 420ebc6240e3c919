export { ActorRegistry } from './actor.registry';
export { HOLD_RECHECK_MS } from './agent-actor';
export { AgentModule } from './agent.module';
export { AgentLoopService } from './loop/agent-loop.service';
export { ContextRetentionWorker } from './loop/context-retention.worker';
export { ContextStore } from './loop/context.store';
export type { LiveContext } from './loop/context.store';
export { AgentStateCache } from './agent-state.cache';
