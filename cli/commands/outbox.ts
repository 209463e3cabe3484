import type { Command } from 'commander';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { terminalSafe } from '../../protocol/terminal-text.ts';
import { pickMembership, type Membership } from '../../worker-runtime/credentials.ts';
import { MemberClient } from '../../worker-runtime/member-client.ts';
import { Outbox } from '../../worker-runtime/outbox.ts';
import { workerDirs } from '../../worker-runtime/worker.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliError } from '../owner-client.ts';
import { formatValue, table } from '../table.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** How long `cohort outbox resend` waits out a host that is down before leaving the entries pending. */
const RESEND_DEADLINE_MS = 30_000;

const PROGRAM_OPTION = ['--program <id|name|name@host>', 'which membership (needed when several are joined; `cohort programs` lists them)'] as const;

async function membershipOutbox(selector: string | undefined): Promise<{ membership: Membership; outbox: Outbox }> {
  const paths = cohortPaths();
  const membership = await pickMembership(paths, selector).catch((err: Error) => {
    throw new CliError(err.message);
  });
  return { membership, outbox: new Outbox(workerDirs(paths, membership).outbox, membership) };
}

async function list(io: Io, selector: string | undefined): Promise<void> {
  const { membership, outbox } = await membershipOutbox(selector);
  const items = await outbox.list();
  if (items.length === 0) return io.out(terminalSafe(`The outbox of ${membership.id} is empty: every result was delivered.`));
  // Reasons quote the host's messages; keys and values come from files a newer worker may have written.
  io.out(terminalSafe(table(['STATE', 'KEY', 'MADE', 'VALUE', 'REASON'], items.map((i) => [i.state, i.key, i.createdAt ?? '?', formatValue(i.value), i.reason ?? '']))));
  if (items.some((i) => i.state === 'rejected')) io.out(terminalSafe(`Resend a refused result with \`cohort outbox resend KEY --program ${membership.id}\` (or --all) once the cause is fixed.`));
}

async function resend(io: Io, key: string | undefined, opts: { all?: boolean; program?: string }): Promise<void> {
  if ((key === undefined) === (opts.all !== true)) throw new CliError('Name one result to resend (its KEY, from `cohort outbox`) or pass --all.');
  const { membership, outbox } = await membershipOutbox(opts.program);
  const moved = await outbox.resend(key);
  if (moved.length === 0) throw new CliError(key === undefined ? 'No refused results to resend.' : `No refused result with key ${key}; \`cohort outbox\` lists them.`);
  io.out(terminalSafe(`Sending ${moved.length} result(s) again to ${membership.url}…`));
  let refused = 0;
  const delivered = await outbox.flush(new MemberClient(membership.url, membership.token), {
    deadlineMs: RESEND_DEADLINE_MS,
    baseDelayMs: 1_000,
    maxDelayMs: 5_000,
    onRetry: (r) => io.err(terminalSafe(`host unreachable (${r.reason}); retrying`)),
    onRejected: (k, reason) => {
      refused++;
      io.err(terminalSafe(`! ${k} refused again: ${reason}`));
    },
  });
  for (const d of delivered) {
    io.out(terminalSafe(`${d.key}: ${d.verdict.id} ${d.verdict.status}${d.replayed ? ' (already recorded)' : ''}: ${d.verdict.reason}`));
    for (const w of d.warnings) io.err(terminalSafe(`! the host: ${w}`));
  }
  if (refused > 0) {
    io.err(`${refused} result(s) refused again; they stay in the outbox (\`cohort outbox\`).`);
    process.exitCode = ExitCode.failed;
  }
}

/** `cohort outbox`: the results a worker has not delivered, and sending refused ones again (docs/worker.md, "The outbox"). */
export function registerOutboxCommands(program: Command, io: Io): void {
  const outbox = program.command('outbox').description('results not yet delivered or refused by the host; `outbox resend` sends refused ones again');
  outbox
    .command('list', { isDefault: true })
    .description('list pending and refused results (key, time, value, reason)')
    .option(...PROGRAM_OPTION)
    .action(async (opts: { program?: string }) => list(io, opts.program ?? outbox.opts<{ program?: string }>().program));
  outbox.option(...PROGRAM_OPTION);
  outbox
    .command('resend [key]')
    .description('move refused results back to the outbox and deliver them now')
    .option('--all', 'every refused result')
    .option(...PROGRAM_OPTION)
    .action(async (key: string | undefined, opts: { all?: boolean; program?: string }) => resend(io, key, { ...opts, program: opts.program ?? outbox.opts<{ program?: string }>().program }));
}
