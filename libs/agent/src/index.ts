export { ActorRegistry } from './actor-registry.service';
export { AgentModule } from './agent.module';
export { AgentLoop } from './loop/agent-loop.service';
export { ContextRetention } from './loop/context-retention.service';
export { ContextStore } from './loop/context.store';
