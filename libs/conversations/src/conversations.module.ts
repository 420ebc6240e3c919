import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { ConversationInputService } from './conversation-input.service';
import { ConversationReplies } from './conversation-replies';
import { ConversationsService } from './conversations.service';
import { MessagesService } from './messages.service';

// Conversations: imported by the gateway (REST) and the runtime (where most jobs end, so the
// settle hook that posts replies must be registered there too). One instance per process.
const providers = [ConversationsService, MessagesService, ConversationReplies, ConversationInputService];

@Module({ imports: [PersistenceModule, QueueModule], providers, exports: providers })
export class ConversationsModule {}
