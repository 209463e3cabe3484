import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { backupKb } from '../../main/life/kb-backup.ts';
import { readHostState, NoHostError } from '../../main/state-file.ts';
import { cohortPaths, kbPath } from '../../protocol/node/paths.ts';
import { terminalSafe } from '../../protocol/terminal-text.ts';
import { CliError } from '../owner-client.ts';

type Out = (text: string) => void;

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

/**
 * `cohort backup`: a consistent copy of a program's KB, also while its host runs (SQLite's online
 * backup, main/life/kb-backup.ts). The KB is the running host's, else the program's file here.
 */
export function registerBackup(program: Command, out: Out): void {
  program
    .command('backup')
    .description('copy a program\'s KB consistently, also while its host runs (restore: see docs/host.md)')
    .option('--program <name>', 'the program (default: the only one published here)')
    .option('--to <file>', 'where the copy goes (default: <data>/programs/<name>/backups/kb-<time>.sqlite)')
    .action(async (opts: { program?: string; to?: string }) => {
      const paths = cohortPaths();
      let name: string;
      let kbFile: string;
      try {
        const host = await readHostState(paths, opts.program);
        ({ program: name, kbPath: kbFile } = host);
      } catch (err) {
        // Not running: a stopped program's KB can be copied all the same, when it is named.
        if (!(err instanceof NoHostError) || opts.program === undefined) throw new CliError((err as Error).message);
        name = opts.program;
        kbFile = kbPath(paths, name);
      }
      const to = opts.to !== undefined ? resolve(opts.to) : join(paths.dataDir, 'programs', name, 'backups', `kb-${stamp()}.sqlite`);
      const done = await backupKb(kbFile, to);
      out(terminalSafe(`Backed up "${name}" (${done.results} results, ${done.members} members) from ${kbFile} to ${done.file}.`));
    });
}
