export * from './conversations.module';
export * from './conversations.service';
export * from './messages.service';
export * from './conversation-replies';
export * from './conversation-context';
export * from './conversation.mapper';
