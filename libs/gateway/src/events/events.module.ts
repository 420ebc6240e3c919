import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { AuthModule } from '../auth/auth.module';
import { EventsHub } from './events.hub';
import { OwnerResolver } from './owner-resolver';
import { SseController } from './sse.controller';
import { WsGateway } from './ws.gateway';

// Lifecycle events relayed from JetStream to clients: WebSocket /ws and SSE.
@Module({
  imports: [PersistenceModule, AuthModule],
  controllers: [SseController],
  providers: [EventsHub, OwnerResolver, WsGateway],
  exports: [EventsHub, WsGateway],
})
export class EventsModule {}
