import type { Command } from 'commander';
import { formatUserCode } from '../../protocol/index.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { TerminalOutputFilter, terminalSafe } from '../../protocol/terminal-text.ts';
import { forgetMembership, pickMembership, readMemberships } from '../../worker-runtime/credentials.ts';
import { detectHardware } from '../../worker-runtime/hardware.ts';
import { join } from '../../worker-runtime/join.ts';
import { describeLineage } from '../../worker-runtime/lineage.ts';
import { formatBytes, removeTree, treeSize } from '../../worker-runtime/program-home.ts';
import { parseGpus } from '../../worker-runtime/slots.ts';
import { createInterface } from 'node:readline/promises';
import { startWorker, workerDirs, type WorkerEvent, type WorkerOptions, type WorkerSummary } from '../../worker-runtime/worker.ts';
import { bigCode } from '../big-code.ts';
import { ExitCode } from '../exit-codes.ts';
import { layOutWorkspace } from '../../worker-runtime/workspace/first-layout.ts';
import { CliError } from '../owner-client.ts';
import { duration, formatValue, table } from '../table.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  version: string;
}

function countdown(expiresAt: number): string {
  const s = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * What a person watching `cohort run` wants to see of each worker event, as one terminal-safe line:
 * hypotheses, champions' names, verdict reasons and the host's messages come from others.
 */
export function describeWorkerEvent(e: WorkerEvent, metric: string): string | null {
  const line = eventLine(e, metric);
  if (line === null) return null;
  return terminalSafe(e.slot === undefined ? line : line.replace(/^\[cohort\]/, `[cohort slot ${e.slot}]`));
}

function eventLine(e: WorkerEvent, metric: string): string | null {
  switch (e.type) {
    case 'info':
      return `[cohort] ${e.message}`;
    case 'warning':
      return `[cohort] ! ${e.message}`;
    case 'sync':
      return `[cohort] workspace ${e.report.dir} on ${e.champion ? `champion ${e.champion.id} (${metric} ${formatValue(e.champion.value)} by ${e.champion.member_name})` : 'the original code (no champion yet)'}`;
    case 'propose':
      return `[cohort] hypothesis: ${e.hypothesis}`;
    case 'sandbox':
      return e.sandboxed
        ? `[cohort] runs are sandboxed (bubblewrap ${e.version ?? ''} at ${e.bwrap ?? '?'}): no network, your home folder hidden, read-only system; writable: the workspace and the program home ${e.home} (HOME)${e.devices.length > 0 ? `; GPUs: ${e.devices.join(' ')}` : ''}${e.withheldEnv.length > 0 ? `; not passed in: ${e.withheldEnv.join(' ')}` : ''}`
        : null; // the warning that comes with it says it
    case 'slots':
      return `[cohort] one experiment per GPU: ${e.slots.map((s) => `slot ${s.index} on GPU ${s.gpus?.join('+') ?? 'all'} (workspace ${s.workspace})`).join('; ')}; each run's output goes to its log`;
    case 'setup-start':
      return `[cohort] setup (${e.why})${e.sandboxed ? ', sandboxed with network' : ' (NOT sandboxed)'}: ${e.command} (HOME ${e.home}; log ${e.logFile})`;
    case 'setup-end':
      return e.ok ? `[cohort] setup done in ${duration(e.seconds)}` : `[cohort] ! setup ${e.reason === 'stopped' ? 'stopped' : `failed: ${e.reason}`} (log ${e.logFile})`;
    case 'lineage':
      return `[cohort] code of run ${e.run}: ${describeLineage(e)}`;
    case 'run-start':
      if (e.preflight) return `[cohort] preflight for run ${e.run}${e.sandboxed ? ' (sandboxed)' : ' (NOT sandboxed)'}: does ${preflightCode(e.preflight.champion)} run on this machine? ${e.command} (budget ${duration(e.budgetSeconds)}; log ${e.logFile})`;
      return `[cohort] run ${e.run}${e.sandboxed ? ' (sandboxed)' : ' (NOT sandboxed)'}: ${e.command} (budget ${duration(e.budgetSeconds)}; log ${e.logFile})`;
    case 'output':
    case 'metric':
      return null;
    case 'progress':
      return `[cohort] ${duration(e.elapsedSeconds)} / ${duration(e.budgetSeconds)}${e.lastMetric ? ` · ${e.lastMetric.name} ${formatValue(e.lastMetric.value)}` : ''}`;
    case 'run-end':
      if (e.preflight) {
        return e.outcome.status === 'ok'
          ? `[cohort] preflight: ${preflightCode(e.preflight.champion)} runs here (${metric} ${formatValue(e.outcome.value)} in ${duration(e.outcome.durations.wall_seconds)}), so the crash of run ${e.run} is the code's, not this machine's`
          : `[cohort] preflight: ${preflightCode(e.preflight.champion)} crashed here too: ${e.outcome.reason}`;
      }
      return e.outcome.status === 'ok'
        ? `[cohort] run ${e.run} finished: ${metric} ${formatValue(e.outcome.value)} in ${duration(e.outcome.durations.wall_seconds)}`
        : `[cohort] run ${e.run} crashed: ${e.outcome.reason}`;
    case 'submitted': {
      const v = e.verdict;
      const head = v.champion ? 'NEW CHAMPION' : v.status.toUpperCase();
      // A keep is a claim: it earns once another member's re-run reproduces it.
      const verify = v.verification === 'pending' ? ' (pending verification)' : v.verification === 'unverified' ? ' (unverified)' : '';
      return `[cohort] ${v.id} ${head}${verify}${e.replayed ? ' (already recorded)' : ''}: ${v.reason}${v.impact > 0 ? ` — impact ${formatValue(v.impact)}` : ''}`;
    }
    case 'claim-verdict': {
      const r = e.result;
      const by = r.reruns.map((x) => `${x.member_name} ${x.value === null ? 'crashed' : formatValue(x.value)}`).join(', ');
      return r.verification === 'reproduced'
        ? `[cohort] your claim ${r.id} (${metric} ${formatValue(r.value)}) was REPRODUCED by ${by}: it earns${r.effective_value !== r.value ? ` at ${formatValue(r.effective_value)}` : ''}`
        : `[cohort] ! your claim ${r.id} (${metric} ${formatValue(r.value)}) was NOT REPRODUCED (${by}): it earns nothing — ${r.reason.replace(/^not reproduced: /, '')}`;
    }
    case 'verify-start':
      return `[cohort] run ${e.run} re-runs ${e.claim.member_name}'s claim ${e.claim.id} (${metric} ${formatValue(e.claim.value)}) as it was submitted, to verify it`;
    case 'verify-end':
      if (e.verdict === null) return `[cohort] ! the re-run of ${e.claimId} was not recorded: ${e.note ?? 'no verdict'}`;
      return `[cohort] ${e.claimId} ${e.verdict.verification.replace('_', ' ').toUpperCase()}: the re-run got ${e.value === null ? 'a crash' : `${metric} ${formatValue(e.value)}`}${e.verdict.reason ? ` (${e.verdict.reason})` : ''}`;
    case 'tampered':
      return `[cohort] ! ${e.by === 'run' ? `run ${e.run}` : `the propose step of run ${e.run}`} was refused and nothing of it submitted: ${e.problems.join('; ')}. The workspace was moved to ${e.movedTo} and laid out again.`;
    case 'rejected':
      return `[cohort] ! a result was not delivered (${e.reason}); it is kept in ${e.movedTo}`;
    case 'retry':
      return `[cohort] host unreachable (${e.reason}); retrying in ${duration(e.delayMs / 1000)}${e.hint ? ` — ${e.hint}` : ''}`;
  }
}

/** The code a preflight runs (worker-runtime/session/preflight.ts). */
function preflightCode(champion: string | null): string {
  return champion === null ? 'the program\'s original code' : `champion ${champion}'s unchanged code`;
}

export function registerWorkerCommands(program: Command, io: Io): void {
  program
    .command('join <url>')
    .description('ask to join a research program; the owner approves the code shown')
    .option('--name <name>', 'the name the owner sees (default: this host name)')
    .action(async (url: string, opts: { name?: string }) => {
      const paths = cohortPaths();
      const hardware = await detectHardware();
      io.out(terminalSafe(`Asking to join ${url} as "${opts.name ?? hardware.hostname}" (${hardware.hostname}, ${hardware.os}${hardware.gpu ? `, ${hardware.gpu}` : ', no GPU'})…`));
      let ticker: NodeJS.Timeout | undefined;
      let replaced = false;
      let repointedFrom: string | null = null;
      let notMet: string | null = null;
      const interactive = process.stdout.isTTY === true;
      let countdownShown = false;
      const endCountdown = () => {
        if (ticker) clearInterval(ticker);
        if (countdownShown) process.stdout.write('\n'); // ends the countdown line
        countdownShown = false;
      };
      // A refusal (denied, expired, a host that will not answer) is a WorkerError: cohort.ts prints it
      // as one line; anything else is a bug and keeps its stack (exit-codes.ts).
      try {
        const membership = await join({
          url,
          ...(opts.name ? { name: opts.name } : {}),
          hardware,
          appVersion: io.version,
          paths,
          onCode: ({ userCode, expiresAt }) => {
            // The host chose the code; bigCode draws only the code alphabet and prints anything else as given.
            const code = terminalSafe(formatUserCode(userCode.replace('-', '')));
            io.out(['', 'Your one-time code:', '', bigCode(code), '', `    ${code}`, '',
              'Tell the program\'s owner this code. They approve it in the Cohort app, or with:', `    cohort approve ${code}`, ''].join('\n'));
            if (interactive) {
              countdownShown = true;
              ticker = setInterval(() => process.stdout.write(`\rWaiting for the owner… ${countdown(expiresAt)} left `), 1000);
            } else io.out(`Waiting for the owner (the code expires in ${countdown(expiresAt)})…`);
          },
          onSaved: (saved) => (replaced = saved.replaced),
          onRepointed: ({ membership: m, from }) => (repointedFrom = m.url === from ? null : from),
          onRequirementsNotMet: (message) => (notMet = message),
        });
        endCountdown();
        if (repointedFrom !== null) {
          // The host recognised this machine's token: same member, same workspace and outbox.
          io.out(terminalSafe(`✓ Re-pointed. "${membership.program}" moved from ${repointedFrom} to ${membership.url}; you are still member ${membership.memberId} (membership ${membership.id}). No new approval was needed.`));
          io.out(terminalSafe(`Next: cohort run --program ${membership.id}`));
          return;
        }
        // The program's name, its URL and the member id are the host's.
        io.out(terminalSafe(`✓ Approved. You are a member of "${membership.program}" at ${membership.url}${membership.memberId ? ` (${membership.memberId})` : ''}; membership ${membership.id}.`));
        // The program's requires are the host's text, hence terminalSafe.
        if (notMet !== null) io.err(terminalSafe(`[cohort] ! Approved, but ${notMet} \`cohort run\` will refuse to run here.`));
        if (replaced) io.out(terminalSafe(`This replaces your earlier membership of "${membership.program}" at ${membership.url} (its old token is forgotten; the workspace stays).`));
        const others = (await readMemberships(paths)).memberships.filter((m) => m.program === membership.program && m.id !== membership.id);
        if (others.length > 0) io.out(terminalSafe(`You are also a member of a "${membership.program}" at ${others.map((m) => m.url).join(', ')}; pick with --program ${membership.id}.`));
        // Something to edit before the first run (a first run of the unchanged champion would be wasted).
        try {
          const ws = await layOutWorkspace(paths, membership);
          io.out(terminalSafe(`Your workspace: ${ws.dir}`));
          io.out(terminalSafe(`  Edit ${ws.editable.join(', ')} there (the champion's code), then \`cohort run\` runs \`${ws.run}\` on it, sandboxed, and submits the result.`));
          // The owner's setup is the one command that gets network: say what it is before it runs.
          if (ws.setup !== null) io.out(terminalSafe(`  Before the first run, the program's setup runs once, sandboxed but WITH network, into the program's own home: \`${ws.setup.split('\n').filter((l) => l.trim()).join('; ')}\` (\`cohort setup\` runs it now).`));
        } catch (err) {
          io.err(terminalSafe(`[cohort] ! the workspace could not be laid out yet (${(err as Error).message}); the first run lays it out.`));
        }
        io.out(terminalSafe(`Next: cohort run --program ${others.length > 0 ? membership.id : membership.program}    (or: cohort run --loop --propose mutate)`));
      } finally {
        endCountdown();
      }
    });

  program
    .command('programs')
    .description('the programs this machine has joined (ID is what --program takes)')
    .action(async () => {
      const { memberships: all, problems } = await readMemberships(cohortPaths());
      if (all.length === 0 && problems.length === 0) io.out('No programs joined yet; join one with `cohort join <url>`.');
      if (all.length > 0) io.out(table(['ID', 'PROGRAM', 'URL', 'MEMBER', 'NAME', 'JOINED'], all.map((m) => [m.id, m.program, m.url, m.memberId, m.name, m.joinedAt])));
      for (const p of problems) io.err(terminalSafe(`! ${p.message}`)); // quotes the file's contents in the JSON error
    });

  program
    .command('leave')
    .description('forget this machine\'s membership token for a program')
    .option('--program <id|name|name@host>', 'which membership (needed when several are joined; `cohort programs` lists them)')
    .option('--remove-home', 'also remove the program home (its environment, data and caches) without asking')
    .option('--keep-home', 'keep the program home without asking')
    .action(async (opts: { program?: string; removeHome?: boolean; keepHome?: boolean }) => {
      const paths = cohortPaths();
      const m = await pickMembership(paths, opts.program).catch((err: Error) => {
        throw new CliError(err.message);
      });
      const dirs = workerDirs(paths, m);
      // Asked before anything is forgotten, so that Ctrl-C at the question leaves everything as it was.
      const size = await treeSize(dirs.home);
      const what = `The program home ${dirs.home} holds ${formatBytes(size.bytes)} in ${size.files} files (what setup installed and downloaded)`;
      const remove = size.files > 0 && (opts.removeHome === true || (opts.keepHome !== true && process.stdin.isTTY === true && (await ask(terminalSafe(`${what}. Remove it? [y/N] `)))));
      await forgetMembership(paths, m);
      io.out(terminalSafe(`Forgot the membership of "${m.program}" at ${m.url} (${m.id}). The workspace stays in ${dirs.workspace}.`));
      if (size.files === 0) return;
      if (remove) {
        await removeTree(dirs.home);
        io.out(terminalSafe(`Removed ${dirs.home} (${formatBytes(size.bytes)}).`));
      } else io.out(terminalSafe(`${what}; it stays (\`rm -rf ${dirs.home}\` removes it).`));
    });

  program
    .command('run')
    .description('run the program\'s experiment in your workspace and submit the result')
    .option('--program <id|name|name@host>', 'which membership (needed when several are joined; `cohort programs` lists them)')
    .option('--hypothesis <text>', 'what this run tests')
    .option('--loop', 'repeat: sync the champion, propose, run, submit')
    .option('--runs <n>', 'stop after this many runs')
    .option('--propose <cmd>', '"mutate" for the built-in proposer, or a command run in the workspace before each run (it gets KB.md, may write HYPOTHESIS.md)')
    .option('--no-sandbox', 'run the code WITHOUT the bubblewrap sandbox (it then has all of your user\'s rights)')
    .option('--expose <path>', 'let sandboxed runs read this path (read-only), e.g. a dataset in your home folder; repeatable', (p: string, all: string[]) => [...all, p], [] as string[])
    .option('--gpus <all|0,1,…>', 'one experiment per GPU at once, each pinned with CUDA_VISIBLE_DEVICES in a workspace of its own')
    .action(async (opts: { program?: string; hypothesis?: string; loop?: boolean; runs?: string; propose?: string; sandbox: boolean; expose: string[]; gpus?: string }) => {
      const paths = cohortPaths();
      const membership = await pickMembership(paths, opts.program).catch((err: Error) => {
        throw new CliError(err.message);
      });
      let runs: number | undefined;
      if (opts.runs !== undefined) {
        runs = Number(opts.runs);
        if (!Number.isInteger(runs) || runs < 1) throw new CliError(`--runs must be a whole number ≥ 1, got "${opts.runs}".`);
      }
      const propose = opts.propose ?? (opts.loop ? 'mutate' : undefined);
      const gpus = opts.gpus === undefined ? undefined : parseGpus(opts.gpus);
      await superviseWorker(io, {
        membership,
        paths,
        hardware: await detectHardware(),
        ...(opts.hypothesis ? { hypothesis: opts.hypothesis } : {}),
        ...(opts.loop ? { loop: true } : {}),
        ...(runs !== undefined ? { runs } : {}),
        ...(propose ? { propose } : {}),
        ...(gpus !== undefined ? { gpus } : {}),
        sandbox: opts.sandbox && { expose: opts.expose },
      });
    });

  program
    .command('setup')
    .description('run the program\'s setup (TASK.md `setup`) now, with network; `cohort run` runs it by itself when the program changed')
    .option('--program <id|name|name@host>', 'which membership (needed when several are joined; `cohort programs` lists them)')
    .option('--no-sandbox', 'run it WITHOUT the bubblewrap sandbox (it then has all of your user\'s rights)')
    .option('--expose <path>', 'let it read this path (read-only); repeatable', (p: string, all: string[]) => [...all, p], [] as string[])
    .action(async (opts: { program?: string; sandbox: boolean; expose: string[] }) => {
      const paths = cohortPaths();
      const membership = await pickMembership(paths, opts.program).catch((err: Error) => {
        throw new CliError(err.message);
      });
      await superviseWorker(io, { membership, paths, hardware: await detectHardware(), setupOnly: true, sandbox: opts.sandbox && { expose: opts.expose } });
    });
}

/**
 * Runs a worker in the terminal: Ctrl-C stops it, its events print as lines, the run's own output
 * streams through a filter, and the summary sets the exit code.
 */
async function superviseWorker(io: Io, options: Omit<WorkerOptions, 'signal' | 'onEvent'>): Promise<void> {
  const { membership } = options;
  const controller = new AbortController();
  const stop = () => {
    io.err('\n[cohort] stopping: the current run is killed; results already made are delivered first');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let metric = '';
  let lastProgress = 0;
  // Run output is others' code: it keeps colours and progress bars, nothing that does more. One
  // filter per stream holds back a sequence split between chunks; each run starts afresh.
  const output = { stdout: new TerminalOutputFilter(), stderr: new TerminalOutputFilter() };
  const flushOutput = () => {
    const rest = output.stdout.end() + output.stderr.end();
    if (rest) process.stdout.write(rest);
  };
  try {
    const summary = await startWorker({
      ...options,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'sync') metric = e.metric;
        // Several slots' output would interleave mid-line: each run's log has it (the run-start line says where).
        if (e.type === 'output') return e.slot === undefined && process.stdout.write(output[e.stream].push(e.chunk));
        if (e.type === 'run-start' || e.type === 'run-end' || e.type === 'setup-start' || e.type === 'setup-end') flushOutput();
        if (e.type === 'progress') {
          // Every 10 s is enough next to the program's own output.
          if (e.elapsedSeconds - lastProgress < 10) return;
          lastProgress = e.elapsedSeconds;
        }
        if (e.type === 'run-start') lastProgress = 0;
        const line = describeWorkerEvent(e, metric || 'metric');
        if (line) (e.type === 'warning' || e.type === 'rejected' || e.type === 'tampered' ? io.err : io.out)(line);
      },
    });
    const ended: Record<WorkerSummary['stoppedBecause'], string> = {
      done: '',
      revoked: '',
      stopped: ' (stopped)',
      crashes: ' (stopped: the runs kept crashing the same way, see above)',
      machine: ' (stopped: the champion\'s code does not run on this machine, see above)',
      setup: ' (stopped: the program\'s setup failed, see above)',
    };
    if (options.setupOnly !== true) io.out(`[cohort] ${summary.runs} run(s), ${summary.submitted.length} result(s) submitted${ended[summary.stoppedBecause]}.`);
    if (summary.rejected > 0) {
      // A refused result is not lost, but a script must not read this session as a success.
      io.err(terminalSafe(`[cohort] ! ${summary.rejected} result(s) were refused or not sent; they are kept: \`cohort outbox --program ${membership.id}\` lists them, \`cohort outbox resend\` sends them again.`));
      process.exitCode = ExitCode.failed;
    }
    if (summary.stoppedBecause === 'revoked') process.exitCode = ExitCode.revoked;
    if (summary.stoppedBecause === 'crashes' || summary.stoppedBecause === 'setup' || summary.stoppedBecause === 'machine') process.exitCode = ExitCode.failed;
  } finally {
    flushOutput();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** A yes/no question on the terminal; anything but "y" or "yes" is no. */
async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}
