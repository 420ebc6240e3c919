import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  Message,
  MessageListQuery,
  MessageListQuerySchema,
  MessagePage,
  PostMessage,
  PostMessageSchema,
  UpdateMessage,
  UpdateMessageSchema,
} from '@wiz/contracts';
import { ConversationInputService, MessagesService } from '@wiz/conversations';
import { Owner, ZodPipe } from '@wiz/platform';

@Controller('api/v1/conversations/:id/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly input: ConversationInputService,
  ) {}

  /**
   * A person's message; the agents it reaches get a job each (`jobIds`), unless it answers a
   * pending approval or question of a job in this conversation.
   */
  @Post()
  post(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(PostMessageSchema)) body: PostMessage,
  ): Promise<Message> {
    return this.input.post(owner, id, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Param('id') id: string,
    @Query(new ZodPipe(MessageListQuerySchema, 'query')) q: MessageListQuery,
  ): Promise<MessagePage> {
    return this.messages.list(owner, id, q);
  }

  @Patch(':messageId')
  update(
    @Owner() owner: string,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Body(new ZodPipe(UpdateMessageSchema)) body: UpdateMessage,
  ): Promise<Message> {
    return this.messages.update(owner, id, messageId, body.content);
  }

  @Delete(':messageId')
  @HttpCode(204)
  remove(@Owner() owner: string, @Param('id') id: string, @Param('messageId') messageId: string): Promise<void> {
    return this.messages.remove(owner, id, messageId);
  }
}
