#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildCli } from './cli.ts';
import { CliError } from './owner-client.ts';

async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`cohort: ${err.message}`);
      process.exitCode = 1;
    } else if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
    } else {
      console.error(`cohort: unexpected error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 70;
    }
  }
}

await main();
