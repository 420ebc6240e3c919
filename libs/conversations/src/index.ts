export { ConversationsModule } from './conversations.module';
export { ConversationsService } from './conversations.service';
export { MessagesService } from './messages.service';
export { ConversationInputService } from './conversation-input.service';
