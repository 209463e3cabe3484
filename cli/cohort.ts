#!/usr/bin/env node
import { CommanderError } from 'commander';
import { terminalSafe } from '../protocol/terminal-text.ts';
import { buildCli } from './cli.ts';
import { WorkerError } from '../worker-runtime/credentials.ts';
import { CliError } from './owner-client.ts';

/** Errors can quote hosts and members: each line is made terminal-safe (our own messages may have several). */
const safeLines = (text: string) => text.split('\n').map((line) => terminalSafe(line)).join('\n');

async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    // Both say what to do in their message; a stack trace would only hide it.
    if (err instanceof CliError || err instanceof WorkerError) {
      console.error(`cohort: ${safeLines(err.message)}`);
      process.exitCode = 1;
    } else if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
    } else {
      console.error(`cohort: unexpected error: ${safeLines((err as Error).stack ?? String(err))}`);
      process.exitCode = 70;
    }
  }
}

await main();
