import { Module } from '@nestjs/common';
import { ConversationsModule } from '@wiz/conversations';
import { ConversationsController } from './conversations.controller';
import { MessagesController } from './messages.controller';
import { ProjectsController } from './projects.controller';

// Projects, conversations and their messages (REST on @wiz/conversations).
@Module({
  imports: [ConversationsModule],
  controllers: [ProjectsController, ConversationsController, MessagesController],
})
export class ConversationsApiModule {}
