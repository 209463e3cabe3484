import type { Command } from 'commander';
import { Option } from 'commander';
import type { KbEvent } from '../../protocol/index.ts';
import { startHost, type HostTunnelOptions } from '../../main/host.ts';
import type { AddressMemory } from '../../main/life/stable-address.ts';
import { CloudflaredNotUsableError, describeSource, findCloudflared, type FoundCloudflared } from '../../main/tunnel/find-cloudflared.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { terminalSafe } from '../../protocol/terminal-text.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import { CliError } from '../owner-client.ts';
import { port } from '../options.ts';
import { duration, formatValue } from '../table.ts';
import { describeManifest } from '../manifest-text.ts';
import { requirementsText } from './owner.ts';
import { describeTunnel, describeTunnelEvent } from '../tunnel-text.ts';

type Out = (text: string) => void;

interface PublishOptions {
  port?: string;
  ownerPort: string;
  host: string;
  tunnel: boolean;
  cloudflared?: string;
  tunnelTimeout: string;
  membership?: 'invite' | 'open';
}

function positiveSeconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a number of seconds above 0, got "${value}".`);
  return n;
}

const isLoopbackHost = (host: string) => host === '127.0.0.1' || host === 'localhost';

/** Decides the tunnel: off (--no-tunnel, a LAN listener), or cloudflared when one is found (else not-found). */
export async function tunnelChoice(opts: Pick<PublishOptions, 'host' | 'tunnel' | 'cloudflared' | 'tunnelTimeout'>): Promise<{ tunnel: HostTunnelOptions | false; found: FoundCloudflared | null; offReason: string }> {
  const timeoutMs = positiveSeconds(opts.tunnelTimeout, '--tunnel-timeout') * 1000;
  if (!opts.tunnel) return { tunnel: false, found: null, offReason: '--no-tunnel' };
  if (!isLoopbackHost(opts.host)) {
    if (opts.cloudflared !== undefined) throw new CliError(`--cloudflared and --host ${opts.host} do not mix: the tunnel needs the public listener on 127.0.0.1. Leave --host out to use the tunnel, or --cloudflared out to serve the LAN.`);
    return { tunnel: false, found: null, offReason: `--host ${opts.host} serves the LAN directly` };
  }
  let found: FoundCloudflared | null;
  try {
    found = await findCloudflared({ ...(opts.cloudflared !== undefined ? { explicit: opts.cloudflared } : {}) });
  } catch (err) {
    if (err instanceof CloudflaredNotUsableError) throw new CliError(err.message);
    throw err;
  }
  return { tunnel: { binary: found?.path ?? null, timeoutMs }, found, offReason: '' };
}

/**
 * One line per KB event, so the owner can follow the program from the terminal. Names, hosts and
 * reasons come from strangers and members, so the line is made terminal-safe whole.
 */
export function describeEvent(e: KbEvent, metric: string): string {
  return e.type === 'tunnel' ? describeTunnelEvent(e.tunnel) : terminalSafe(kbEventLine(e, metric));
}

function kbEventLine(e: Exclude<KbEvent, { type: 'tunnel' }>, metric: string): string {
  switch (e.type) {
    case 'join-request': {
      const r = e.request;
      return `join request ${r.user_code} from "${r.name}" (declared) — host ${r.hostname || '?'}, ${r.os || '?'}, GPU ${r.gpu || 'none'}, app ${r.app_version || '?'}, IP ${r.ip}${r.requirements === null ? '' : `; ${requirementsText(r.requirements)}`}; expires in ${duration(r.expires_in)}. Approve: cohort approve ${r.user_code}`;
    }
    case 'member-approved':
      return `approved ${e.request.user_code} (${e.request.name})`;
    case 'member-denied':
      return `denied ${e.request.user_code} (${e.request.name})`;
    case 'member-joined':
      return `member ${e.member.id} "${e.member.name}" joined`;
    case 'member-revoked':
      return `member ${e.member.id} "${e.member.name}" revoked`;
    case 'result':
      return `result ${e.result.id} by ${e.result.member_name}: ${metric} ${formatValue(e.result.value)} → ${e.result.status.toUpperCase()} (${e.result.reason})`;
    case 'champion':
      return `new champion ${e.champion.id}: ${metric} ${formatValue(e.champion.value)} by ${e.champion.member_name}`;
    case 'verdict': {
      const r = e.result;
      if (r.verification === 'none') return `re-judged ${r.id} by ${r.member_name}: ${metric} ${formatValue(r.value)} → ${r.status.toUpperCase()} (${r.reason})`;
      const runs = r.reruns.map((x) => `${x.member_name} ${x.value === null ? 'crashed' : formatValue(x.value)}`).join(', ');
      return `verified ${r.id} by ${r.member_name}: ${r.verification.replace('_', ' ')} (claimed ${formatValue(r.value)}; re-runs: ${runs || 'none'}) → ${r.status.toUpperCase()}`;
    }
  }
}

/**
 * Start-up failures that need the options to explain; the host's refusals (ServiceError, SchemaError)
 * already say what to do and pass as they are to exit-codes.ts, as does a bug.
 */
function explainStartFailure(err: unknown, opts: PublishOptions): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new CliError(`Port ${opts.port ?? '(the last one)'} or ${opts.ownerPort} on ${opts.host} is already in use; pick another with --port/--owner-port, or 0 for a free one.`);
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES') return new CliError(`Cannot listen on ${opts.host}:${opts.port} (${code}); check --host and --port.`);
  return err;
}

/** What the banner says about the address members use, against the last start. */
export function addressLines(a: AddressMemory, listenerUrl: string, tunnelled: boolean): string[] {
  const lines: string[] = [];
  if (a.portTaken !== null) lines.push(`  ! port       ${a.portTaken}, the port of the last start, is in use; listening on ${new URL(listenerUrl).port} instead`);
  if (tunnelled) {
    if (a.previousUrl !== null) lines.push(`  ! address    a quick tunnel's URL is new at every start (was ${a.previousUrl}): members re-point with \`cohort join NEW_URL\` once the tunnel is up`);
  } else if (a.previousUrl !== null && a.previousUrl !== listenerUrl) {
    lines.push(`  ! address    public URL changed since the last start (was ${a.previousUrl}): members re-point with \`cohort join ${listenerUrl}\``);
  }
  return lines.map((l) => terminalSafe(l));
}

export function registerPublish(program: Command, out: Out): void {
  program
    .command('publish <program-dir>')
    .description('host a research program: its KB, the join flow and the member API (runs until Ctrl-C)')
    .option('--port <n>', 'public listener port (default: the port of the last start, else a free one; 0 picks a free one)')
    .option('--owner-port <n>', 'owner UI/API port on 127.0.0.1 (0 picks a free one)', '0')
    .option('--host <addr>', 'public listener address; 0.0.0.0 to serve a LAN', '127.0.0.1')
    .option('--no-tunnel', 'do not start a cloudflared quick tunnel (on by default when cloudflared is found)')
    .option('--cloudflared <path>', 'the cloudflared binary (default: CLOUDFLARED_BIN, PATH, the cloudflared npm package, usual install locations)')
    .option('--tunnel-timeout <seconds>', 'give up on the tunnel when cloudflared prints no URL within this time', '30')
    .addOption(new Option('--membership <mode>', 'override TASK.md: invite (owner approves) or open').choices(['invite', 'open']))
    .action(async (dir: string, opts: PublishOptions) => {
      const loaded = await loadProgram(dir); // a ProgramError lists every issue; cohort.ts prints it as it is
      // Before anything listens: the owner sees what strangers will download while it can still be stopped.
      out(describeManifest(loaded.manifest));
      const choice = await tunnelChoice(opts);
      const host = await startHost({
        program: loaded,
        host: opts.host,
        tunnel: choice.tunnel,
        ...(opts.port !== undefined ? { port: port(opts.port, '--port') } : {}),
        ownerPort: port(opts.ownerPort, '--owner-port'),
        ...(opts.membership ? { membership: opts.membership } : {}),
        paths: cohortPaths(),
        logger: { level: 'warn' },
        onNotice: (line) => out(line),
      }).catch((err: unknown) => {
        throw explainStartFailure(err, opts);
      });
      const spec = loaded.spec;
      const champion = host.kb.champion();
      const local = isLoopbackHost(opts.host) ? 'reachable from this machine only' : 'serving the LAN';
      const t = host.tunnel;
      const tunnelLine =
        t.state === 'off' ? `off (${choice.offReason}) — ${local}${isLoopbackHost(opts.host) ? '; --host 0.0.0.0 serves your LAN' : '; Cf-Connecting-Ip is ignored'}`
        : t.state === 'not-found' ? `not found — ${local}. ${t.hint ?? ''}`.trimEnd()
        : `${describeTunnel(t)} (${t.binary}${choice.found ? `, ${describeSource(choice.found.source)}` : ''}); gives up after ${Number(opts.tunnelTimeout)} s without a URL`;
      out([
        `Cohort is hosting "${spec.name}": ${spec.direction} ${spec.metric}, ${spec.accept}, pool ${spec.pool} ${spec.token} (${spec.split})`,
        `  KB           ${host.kbFile}`,
        `  champion     ${champion ? terminalSafe(`${champion.id} ${spec.metric} ${formatValue(champion.value)} by ${champion.member_name}`) : 'none yet'}`,
        `  membership   ${host.auth.membership}${host.auth.membership === 'open' ? ' (anyone with the URL joins at once)' : ' (you approve each join request)'}`,
        `  public URL   ${host.publicUrl}`,
        `  tunnel       ${tunnelLine}`,
        `  owner UI     ${host.ownerUiUrl}`,
        ...addressLines(host.address, host.listenerUrl, t.state === 'starting' || t.state === 'up'),
        '',
        'Workers join with (once Cohort is installed there: README.md, "Installing a worker"):',
        `  ${host.joinCommand}${t.state === 'starting' ? '   (this machine only; the tunnel URL follows once it is up)' : ''}`,
        '',
        'Join requests and results appear below. Ctrl-C stops the host; the KB keeps everything.',
      ].join('\n'));
      host.bus.subscribe((e) => out(`[${new Date().toLocaleTimeString()}] ${describeEvent(e, spec.metric)}`));

      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          out(`\n${signal}: stopping; accepted results are being written…`);
          host.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('Ctrl-C'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      out('Stopped. The KB is closed cleanly.');
    });
}
