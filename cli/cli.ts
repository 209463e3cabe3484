import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerApp } from './commands/app.ts';
import { registerBackup } from './commands/backup.ts';
import { registerOutboxCommands } from './commands/outbox.ts';
import { registerOwnerCommands } from './commands/owner.ts';
import { registerPublish } from './commands/publish.ts';
import { registerWorkerCommands } from './commands/worker.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The `cohort` command: thin commands over main/ (owner) and worker-runtime/ (worker). */
export function buildCli(out: (text: string) => void = (t) => console.log(t), err: (text: string) => void = (t) => console.error(t)): Command {
  const program = new Command('cohort')
    .description('Decentralized auto-research: publish a research program, approve workers, keep the champion.')
    .version(pkg.version)
    .showHelpAfterError('(run `cohort --help` for usage)')
    // Usage errors are thrown, not exited on, so that cohort.ts maps them with every other error
    // (exit-codes.ts); commands made below inherit this.
    .exitOverride();
  registerPublish(program, out);
  registerOwnerCommands(program, out);
  registerBackup(program, out);
  registerWorkerCommands(program, { out, err, version: pkg.version });
  registerOutboxCommands(program, { out, err });
  registerApp(program, { out, version: pkg.version });
  return program;
}
