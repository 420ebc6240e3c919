export { GatewayModule, GatewayAppModule, attachGateway } from './gateway.module';
export { ApiKeysService } from './auth/api-keys.service';
export { AgentsService } from './agents/agents.service';
export { openApiDocument } from './docs/openapi.document';
