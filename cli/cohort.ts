#!/usr/bin/env node
import { terminalSafe } from '../protocol/terminal-text.ts';
import { buildCli } from './cli.ts';
import { failure } from './exit-codes.ts';

/** Errors can quote hosts and members: each line is made terminal-safe (our own messages may have several). */
const safeLines = (text: string) => text.split('\n').map((line) => terminalSafe(line)).join('\n');

async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    // Expected errors say what to do in their message, alone; only a bug prints its stack (exit-codes.ts).
    const { exitCode, text } = failure(err);
    if (text !== null) console.error(`cohort: ${safeLines(text)}`);
    process.exitCode = exitCode;
  }
}

await main();
