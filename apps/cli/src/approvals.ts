import { Command } from 'commander';
import type { Wait } from '@wiz/contracts';
import { ctx } from './context';
import { clip, print, table } from './output';

const args = (w: Wait) => clip(JSON.stringify(w.arguments ?? {}), 50);
const decided = (w: Wait) => `${w.id} is ${w.status}`;

// Human in the loop: decide gated tool calls, answer a parked job's question, steer or signal a job.
export function approvalCommands(program: Command): void {
  const approvals = program.command('approvals').description('tool calls waiting for your decision');
  approvals
    .command('ls')
    .description('list approvals (pending by default)')
    .option('--status <status>', 'pending, approved, rejected or expired', 'pending')
    .option('--job <id>', 'only this job')
    .option('--limit <n>', 'how many', (v) => parseInt(v, 10), 50)
    .action(async (o: { status: Wait['status']; job?: string; limit: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.approvals.list({ status: o.status, jobId: o.job, limit: o.limit });
      print(json, page, () =>
        table(
          page.items.map((w) => ({
            id: w.id,
            tool: w.tool,
            arguments: args(w),
            job: w.jobId,
            expires: w.deadline ?? 'never',
          })),
          o.status === 'pending'
            ? 'No approvals waiting. Set an approval policy on an agent to gate its tools.'
            : 'No approvals.',
        ),
      );
    });
  approvals
    .command('approve <id>')
    .description('let the tool call run with the model’s arguments')
    .option('--comment <text>', 'a note kept with the decision')
    .action(async (id: string, o: { comment?: string }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const w = await client.approvals.approve(id, o.comment);
      print(json, w, () => decided(w));
    });
  approvals
    .command('reject <id>')
    .description('refuse the tool call: the model reads "rejected: <comment>"')
    .option('--comment <text>', 'why (the model reads it)')
    .action(async (id: string, o: { comment?: string }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const w = await client.approvals.reject(id, o.comment);
      print(json, w, () => decided(w));
    });
}

export function jobInputCommands(program: Command): void {
  const jobs = program.commands.find((c) => c.name() === 'jobs');
  if (!jobs) throw new Error('the jobs command is registered first');
  jobs
    .command('input <id> <answer>')
    .description("answer the parked job's question (ask_human)")
    .option('--wait <waitId>', 'which question, when the job asks several')
    .action(async (id: string, answer: string, o: { wait?: string }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const w = await client.jobs.input(id, { answer, ...(o.wait && { waitId: o.wait }) });
      print(json, w, () => `answered ${w.id}: the job goes on`);
    });
  jobs
    .command('steer <id> <message>')
    .description('send a message to a running or parked job (read at its next model step)')
    .action(async (id: string, message: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const r = await client.jobs.steer(id, message);
      print(json, r, () => `sent to ${r.jobId}`);
    });
  jobs
    .command('signal <id> <name>')
    .description('send signal <name> to the job waiting for it (wait_for_signal)')
    .option('--payload <json>', 'what the job reads (JSON)', '{}')
    .action(async (id: string, name: string, o: { payload: string }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      let payload: unknown;
      try {
        payload = JSON.parse(o.payload);
      } catch {
        throw new Error(`--payload is not JSON: ${o.payload}`);
      }
      const r = await client.jobs.signal(id, name, payload);
      print(json, r, () => `${name} woke ${r.items.length} wait(s) of ${id}`);
    });
}
