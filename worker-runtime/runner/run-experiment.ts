import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LastErrorLine } from './last-error-line.ts';
import { setLongTimeout } from './long-timeout.ts';
import { LogSink } from './log-sink.ts';
import { MetricParser, type MetricReading } from './metric-parser.ts';
import { classifyRun, type RunStatus } from './outcome.ts';
import { terminateGroup, watchGroup } from './process-group.ts';
import { TailBuffer } from './tail-buffer.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface RunProgress {
  elapsedSeconds: number;
  budgetSeconds: number;
  lastMetric: MetricReading | null;
}

export interface RunOptions {
  /** Shell command, run with `/bin/sh -c` in its own process group. */
  command: string;
  /**
   * A program (and its arguments) that runs the shell, e.g. the bubblewrap command line of a
   * sandbox ending in `--`; it is spawned in the process group instead of /bin/sh, and must make
   * the run die with this process itself (bubblewrap's `--die-with-parent`). Default: none, and a
   * watchdog kills the group if this process dies (see watchGroup).
   */
  launcher?: readonly string[];
  cwd: string;
  /** The child's whole environment (replaces, does not extend); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The metric that decides the result, e.g. `val_bpb`. */
  metric: string;
  /** Fractions allowed. */
  timeBudgetSeconds: number;
  /** Extra time before the kill; default max(10, 10% of the budget). */
  graceSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL to the group; default 5. */
  killAfterSeconds?: number;
  /** Everything printed (stdout and stderr, raw bytes) goes here; folders are created. */
  logFile?: string;
  onOutput?: (chunk: string, stream: OutputStream) => void;
  /** About once a second. */
  onProgress?: (progress: RunProgress) => void;
  onMetric?: (name: string, value: number) => void;
  /** Aborting stops the run (stop button). */
  signal?: AbortSignal;
}

export interface RunDurations {
  wall_seconds: number;
  /** From the summary block, when printed. */
  training_seconds?: number;
  total_seconds?: number;
}

export interface RunOutcome {
  status: RunStatus;
  /**
   * Why, e.g. "exit code 1: PermissionError: [Errno 13] Permission denied: '/x'" (with the last
   * meaningful stderr line), "printed FAIL", "no val_bpb line in the output", "stopped".
   */
  reason: string;
  /** The metric's value when it was printed and finite (even for a crash); else null. */
  value: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stopped: boolean;
  metrics: Record<string, number>;
  summary: Record<string, number>;
  /** The last ~4 KB of the output (stdout and stderr as they arrived). */
  tail: string;
  durations: RunDurations;
  logFile?: string;
  /** Set when the log file could not be written; the run itself is unaffected. */
  logError?: string;
}

// After the shell exits, its output may still be in the pipes; a leftover grandchild may also hold
// them open forever, so wait only this long for them to close.
const DRAIN_MS = 500;
const PROGRESS_MS = 1000;

/** Runs one experiment to completion, time-out or stop, and says how it went. Never rejects for the child's sake. */
export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  const budgetSeconds = opts.timeBudgetSeconds;
  if (!(budgetSeconds > 0) || !Number.isFinite(budgetSeconds)) throw new RangeError('timeBudgetSeconds must be a positive number');
  const graceSeconds = opts.graceSeconds ?? Math.max(10, budgetSeconds * 0.1);
  if (!(graceSeconds >= 0) || !Number.isFinite(graceSeconds)) throw new RangeError('graceSeconds must be a non-negative number');
  const killAfterSeconds = opts.killAfterSeconds ?? 5;
  if (!(killAfterSeconds >= 0) || !Number.isFinite(killAfterSeconds)) throw new RangeError('killAfterSeconds must be a non-negative number');
  const killAfterMs = killAfterSeconds * 1000;

  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  const parser = new MetricParser({
    metric: opts.metric,
    onMetric: opts.onMetric && ((name, value) => safely(() => opts.onMetric?.(name, value))),
  });
  const tail = new TailBuffer();
  const lastError = new LastErrorLine();
  const log = opts.logFile === undefined ? undefined : await LogSink.open(opts.logFile);

  const run: ChildRun = opts.signal?.aborted
    ? { exitCode: null, exitSignal: null, timedOut: false, stopped: true }
    : await superviseChild(opts, { budgetSeconds, graceSeconds, killAfterMs, parser, tail, lastError, log, elapsedSeconds });

  parser.end();
  lastError.end();
  await log?.close();
  const parsed = parser.result();
  const { status, reason } = classifyRun({
    metric: opts.metric,
    parsed,
    exitCode: run.exitCode,
    signal: run.exitSignal,
    timedOut: run.timedOut,
    stopped: run.stopped,
    budgetSeconds,
    graceSeconds,
    startError: run.startError,
    lastErrorLine: lastError.line,
  });
  const durations: RunDurations = { wall_seconds: round3(elapsedSeconds()) };
  if (parsed.summary.training_seconds !== undefined) durations.training_seconds = parsed.summary.training_seconds;
  if (parsed.summary.total_seconds !== undefined) durations.total_seconds = parsed.summary.total_seconds;
  const outcome: RunOutcome = {
    status,
    reason,
    value: parsed.finite ? parsed.value : null,
    exitCode: run.exitCode,
    signal: run.exitSignal,
    timedOut: run.timedOut,
    stopped: run.stopped,
    metrics: parsed.metrics,
    summary: parsed.summary,
    tail: tail.toString(),
    durations,
  };
  if (log) outcome.logFile = log.path;
  if (log?.error !== undefined) outcome.logError = log.error;
  return outcome;
}

interface ChildRun {
  exitCode: number | null;
  exitSignal: string | null;
  timedOut: boolean;
  stopped: boolean;
  startError?: string;
}

interface Sinks {
  budgetSeconds: number;
  graceSeconds: number;
  killAfterMs: number;
  parser: MetricParser;
  tail: TailBuffer;
  lastError: LastErrorLine;
  log: LogSink | undefined;
  elapsedSeconds: () => number;
}

/**
 * Spawns the command in its own process group, feeds its output to the sinks, enforces the time
 * budget and the stop signal, and returns once the group is gone and the output drained.
 */
async function superviseChild(opts: RunOptions, sinks: Sinks): Promise<ChildRun> {
  const { parser, tail, log } = sinks;
  const result: ChildRun = { exitCode: null, exitSignal: null, timedOut: false, stopped: false };
  const argv = [...(opts.launcher ?? []), '/bin/sh', '-c', opts.command];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group, so that the whole tree can be signalled at once
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const unwatch = opts.launcher === undefined && pid !== undefined ? watchGroup(pid) : undefined;
  let killing: Promise<void> | undefined;
  const kill = () => {
    if (pid !== undefined) killing ??= terminateGroup(pid, sinks.killAfterMs, { spareLauncher: opts.launcher !== undefined });
  };

  // Output: every chunk goes to the log (raw), then as text to the parser, the tail and onOutput.
  let done = false;
  const pauseAll = () => {
    child.stdout.pause();
    child.stderr.pause();
  };
  const resumeAll = () => {
    if (done) return;
    child.stdout.resume();
    child.stderr.resume();
  };
  const consume = (text: string, stream: OutputStream) => {
    parser.push(text, stream);
    tail.push(text);
    if (stream === 'stderr') sinks.lastError.push(text);
    if (opts.onOutput) safely(() => opts.onOutput?.(text, stream));
  };
  const pump = (readable: Readable, stream: OutputStream) => {
    const decoder = new StringDecoder('utf8');
    readable.on('data', (chunk: Buffer) => {
      if (done) return;
      // A full log stream pauses both pipes (the child then blocks) instead of queueing in memory.
      if (log && !log.write(chunk, resumeAll)) pauseAll();
      const text = decoder.write(chunk);
      if (text) consume(text, stream);
    });
    const closed = new Promise<void>((resolve) => readable.once('close', resolve));
    const flush = () => {
      const rest = decoder.end();
      if (rest) consume(rest, stream);
    };
    return { closed, flush };
  };
  const out = pump(child.stdout, 'stdout');
  const err = pump(child.stderr, 'stderr');

  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      result.exitCode = code;
      result.exitSignal = signal;
      resolve();
    });
    child.once('error', (e) => {
      result.startError = e.message; // e.g. the cwd does not exist
      resolve();
    });
  });

  const onAbort = () => {
    result.stopped = true;
    kill();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const cancelBudget = setLongTimeout(() => {
    result.timedOut = true;
    kill();
  }, (sinks.budgetSeconds + sinks.graceSeconds) * 1000);
  const progressTimer = opts.onProgress
    ? setInterval(() => {
        const progress = { elapsedSeconds: sinks.elapsedSeconds(), budgetSeconds: sinks.budgetSeconds, lastMetric: parser.lastSeen() };
        safely(() => opts.onProgress?.(progress));
      }, PROGRESS_MS)
    : undefined;

  // Wait for the shell's exit, not for 'close': a grandchild may hold the pipes open forever.
  await exited;
  cancelBudget();
  opts.signal?.removeEventListener('abort', onAbort);

  const bothClosed = Promise.all([out.closed, err.closed]);
  await withTimeout(bothClosed, DRAIN_MS);
  // Leftovers of the group (background jobs, data-loader workers) would hold GPUs and pipes: end them too.
  kill();
  await killing;
  unwatch?.();
  await withTimeout(bothClosed, DRAIN_MS);
  clearInterval(progressTimer);
  done = true;
  child.stdout.destroy();
  child.stderr.destroy();
  out.flush();
  err.flush();
  return result;
}

/** A display callback that throws must not break the run or crash the process. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose: callbacks are for display only
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
