import { CommanderError } from 'commander';
import { ServiceError } from '../main/errors.ts';
import { ProgramError } from '../main/program/errors.ts';
import { NoHostError } from '../main/state-file.ts';
import { SchemaError } from '../main/store/sqlite-store.ts';
import { CloudflaredNotUsableError } from '../main/tunnel/find-cloudflared.ts';
import { WorkerError } from '../worker-runtime/credentials.ts';
import { HostUnavailableError, NotAMemberError } from '../worker-runtime/member-client.ts';
import { CliError } from './owner-client.ts';

/**
 * How `cohort` ends: the one exit-code table (as `gh`'s internal/ghcmd/cmd.go has one), documented
 * in docs/cli.md. Scripts may rely on these numbers.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** An expected failure: the message says what went wrong and what to do; no stack trace. Also `cohort run` when a result was refused (kept in the outbox). */
  failed: 1,
  /** The command line itself is wrong (unknown command or option, a missing or invalid argument). */
  usage: 2,
  /** The program's owner revoked this machine's membership; the worker stopped. */
  revoked: 3,
  /** A bug in Cohort (EX_SOFTWARE in sysexits.h): the stack trace is printed for the report. */
  bug: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Errors a person can act on from their message alone: the CLI's, the worker's, the host's. */
const EXPECTED = [CliError, WorkerError, HostUnavailableError, ServiceError, ProgramError, SchemaError, NoHostError, CloudflaredNotUsableError];

/** A failure of the machine rather than of Cohort (a port in use, a full disk, a folder not writable). */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  return err instanceof Error && typeof e.syscall === 'string' && typeof e.code === 'string';
}

/**
 * The exit code for an error that ended a command, and the text to print after `cohort: ` (null when
 * commander has printed its own usage message already). The one place errors become exit codes.
 */
export function failure(err: unknown): { exitCode: ExitCode; text: string | null } {
  if (err instanceof CommanderError) {
    // --help and --version end this way too, with exit code 0.
    return { exitCode: err.exitCode === 0 ? ExitCode.ok : ExitCode.usage, text: null };
  }
  if (err instanceof NotAMemberError) return { exitCode: ExitCode.revoked, text: err.message };
  if (EXPECTED.some((kind) => err instanceof kind) || isSystemError(err)) return { exitCode: ExitCode.failed, text: (err as Error).message };
  return { exitCode: ExitCode.bug, text: `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` };
}
