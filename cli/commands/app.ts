import type { Command } from 'commander';
import { InvalidProgramError } from '../../main/app-service.ts';
import { formatIssue } from '../../main/program/errors.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { startAppStack } from '../app/app-stack.ts';
import { CliError } from '../owner-client.ts';
import { describeManifest } from '../manifest-text.ts';
import { port } from '../options.ts';
import { tunnelChoice } from './publish.ts';

interface AppOptions {
  port: string;
  host: string;
  publicPort?: string;
  sandbox: boolean;
  expose: string[];
  tunnel: boolean;
  cloudflared?: string;
  tunnelTimeout: string;
}

/**
 * `cohort app`: the desktop app's UI in a browser. One loopback listener serves both views: the
 * owner's (publish a program from the UI, or give its folder here) and the worker's (join, run).
 */
export function registerApp(program: Command, io: { out: (text: string) => void; version: string }): void {
  program
    .command('app [program-dir]')
    .description('the Cohort UI in your browser: publish a program, or join one and run experiments (runs until Ctrl-C)')
    .option('--port <n>', 'UI port on 127.0.0.1 (0 picks a free one)', '0')
    .option('--host <addr>', 'public listener address of a published program; 0.0.0.0 to serve a LAN', '127.0.0.1')
    .option('--public-port <n>', 'public listener port of a published program (default: its port of the last start, else a free one; 0 picks a free one)')
    .option('--no-tunnel', 'publish without a cloudflared quick tunnel (on by default when cloudflared is found)')
    .option('--cloudflared <path>', 'the cloudflared binary (default: CLOUDFLARED_BIN, PATH, the cloudflared npm package, usual install locations)')
    .option('--tunnel-timeout <seconds>', 'give up on the tunnel when cloudflared prints no URL within this time', '30')
    .option('--no-sandbox', 'run experiments WITHOUT the bubblewrap sandbox (they then have all of your user\'s rights)')
    .option('--expose <path>', 'let sandboxed runs read this path (read-only); repeatable', (p: string, all: string[]) => [...all, p], [] as string[])
    .action(async (dir: string | undefined, opts: AppOptions) => {
      const choice = await tunnelChoice(opts);
      const stack = await startAppStack({
        paths: cohortPaths(),
        port: port(opts.port, '--port'),
        hostOptions: { host: opts.host, ...(opts.publicPort !== undefined ? { port: port(opts.publicPort, '--public-port') } : {}), tunnel: choice.tunnel, logger: { level: 'warn' } },
        logger: { level: 'warn' },
        worker: { appVersion: io.version, runOptions: { sandbox: opts.sandbox && { expose: opts.expose } } },
      });
      if (dir !== undefined) {
        try {
          const host = await stack.app.publish(dir);
          const shipped = stack.app.shipped();
          if (shipped !== null) io.out(describeManifest(shipped));
          io.out(`Publishing "${host.kb.spec.name}"; workers join with: ${host.joinCommand}`);
        } catch (err) {
          await stack.close();
          if (err instanceof InvalidProgramError) throw new CliError(`${err.body.dir} is not a valid research program:\n${err.body.issues.map((i) => `  ${formatIssue({ ...i, field: i.field ?? undefined, line: i.line ?? undefined })}`).join('\n')}`);
          throw err; // the host's refusals print as one line, bugs with their stack (exit-codes.ts)
        }
      }
      io.out(['Cohort is running. Open the UI (the token in the link is this session\'s; keep it to yourself):', `  ${stack.app.uiUrl}`, '', 'Ctrl-C stops it; a published program\'s KB and your workspaces keep everything.'].join('\n'));
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          io.out(`\n${signal}: stopping…`);
          stack.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('Ctrl-C'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      io.out('Stopped.');
    });
}
