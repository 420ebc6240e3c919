export { AgentsService } from './agents/agents.service';
export { ApiKeysService } from './auth/api-keys.service';
export { openApiDocument } from './docs/openapi.document';
export { GatewayAppModule, GatewayModule, attachGateway } from './gateway.module';
