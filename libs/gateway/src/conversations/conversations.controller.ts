import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  AddParticipant,
  AddParticipantSchema,
  Conversation,
  ConversationListQuery,
  ConversationListQuerySchema,
  CreateConversationParsed,
  CreateConversationSchema,
  PageOf,
  Participant,
} from '@wiz/contracts';
import { ConversationsService } from '@wiz/conversations';
import { Owner, ZodPipe } from '@wiz/platform';

@Controller('api/v1/conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  create(
    @Owner() owner: string,
    @Body(new ZodPipe(CreateConversationSchema)) body: CreateConversationParsed,
  ): Promise<Conversation> {
    return this.conversations.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(ConversationListQuerySchema, 'query')) q: ConversationListQuery,
  ): Promise<PageOf<Conversation>> {
    return this.conversations.list(owner, q);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Conversation> {
    return this.conversations.get(owner, id);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Owner() owner: string, @Param('id') id: string): Promise<void> {
    return this.conversations.remove(owner, id);
  }

  @Post(':id/participants')
  add(
    @Owner() owner: string,
    @Param('id') id: string,
    @Body(new ZodPipe(AddParticipantSchema)) body: AddParticipant,
  ): Promise<Participant> {
    return this.conversations.addParticipant(owner, id, body);
  }

  @Delete(':id/participants/:kind/:participantId')
  @HttpCode(204)
  remove(
    @Owner() owner: string,
    @Param('id') id: string,
    @Param('kind') kind: string,
    @Param('participantId') participantId: string,
  ): Promise<void> {
    return this.conversations.removeParticipant(owner, id, kind, participantId);
  }
}
