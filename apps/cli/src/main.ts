#!/usr/bin/env node
import { Command } from 'commander';
import { approvalCommands, jobInputCommands } from './approvals';
import { agentCommands, jobCommands, runCommand } from './agents-jobs';
import { chatCommand } from './chat';
import { conversationCommands, projectCommands } from './conversations';
import { mcpCommands, scheduleCommands } from './schedules-mcp';
import { eventsCommand, keyCommands, loginCommand } from './misc';
import { fail } from './output';

// `wiz`: people's command line for a Wiz server, over the typed client.
const program = new Command('wiz')
  .description('Command line for the Wiz agent server')
  .option('--url <url>', 'server URL (default: $WIZ_URL, the stored login, or http://127.0.0.1:8080)')
  .option('--key <key>', 'API key (default: $WIZ_API_KEY or the stored login)')
  .option('--json', 'output JSON for scripts')
  .showHelpAfterError();

loginCommand(program);
agentCommands(program);
runCommand(program);
chatCommand(program);
conversationCommands(program);
projectCommands(program);
jobCommands(program);
jobInputCommands(program);
approvalCommands(program);
scheduleCommands(program);
mcpCommands(program);
eventsCommand(program);
keyCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => fail(e, process.argv.includes('--json')));
