import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { MailboxCommand } from '@wiz/contracts';
import { MAILBOX_PATTERN } from '@wiz/bus';
import { ActorRegistry } from '@wiz/agent';

// Thin entry: the transport has validated the command; the agent's actor takes it from here.
@Controller()
export class MailboxController {
  constructor(private readonly actors: ActorRegistry) {}

  @MessagePattern(MAILBOX_PATTERN)
  handle(@Payload() command: MailboxCommand): Promise<string> {
    return this.actors.deliver(command);
  }
}
