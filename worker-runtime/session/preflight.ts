import { createHash } from 'node:crypto';
import type { TaskResponse } from '../../protocol/index.ts';
import type { JobContext } from '../jobs/job.ts';
import { runApart, runPath } from '../jobs/run-in-slot.ts';
import { explainCrash, quotable } from '../runner/crash-explain.ts';
import type { RunOutcome } from '../runner/run-experiment.ts';

/** A crash that the champion's unchanged code has too: this machine's problem, not a result. */
export interface MachineProblem {
  /** Whose code failed: the champion's id, null for the program's original code. */
  champion: string | null;
  /** The failing line of the output (terminal-safe). */
  failingLine: string;
  /** What failed, why nothing was sent, and what to do: one terminal-safe line. */
  message: string;
}

/**
 * `ok`: the champion's code runs here, so a crash is the edit's (or the claim's) and is sent as
 * always; `machine`: it crashes here too; `stopped`: the person stopped the preflight (undecided);
 * `unchecked`: not known, and this session runs no preflights (a single run): sent as always.
 */
export type PreflightVerdict = { kind: 'ok' } | { kind: 'machine'; problem: MachineProblem } | { kind: 'stopped' } | { kind: 'unchecked' };

/** A crashed run a preflight decides about: how messages name it, and what happens to it when this machine is at fault. */
export interface CrashedRun {
  /** Its number (a preflight's run events carry it). */
  run: number;
  /** e.g. `run 5`, `the re-run of claim r7`. */
  what: string;
  /** e.g. `the crash was not submitted`. */
  dropped: string;
}

export interface PreflightOptions {
  /**
   * Whether a preflight run may be spent to find out (a loop: otherwise its crashes would flood the
   * host). A single run spends none: the person sees its crash, and only a crash of the unchanged
   * code, its own preflight, is kept back.
   */
  run: boolean;
  graceSeconds?: number;
  /** Told of the first problem found: the worker stops taking jobs and says why. */
  onProblem: (problem: MachineProblem) => void;
}

const OK: PreflightVerdict = { kind: 'ok' };

/**
 * The preflight (docs/design.md, "Programs that need setup"): before a worker sends a crash, it
 * makes sure that the champion's unchanged code runs on this machine. A crash the unchanged code
 * has too (a package missing for the interpreter, a driver, a budget this machine cannot meet) is
 * this machine's problem: it is not sent, and the worker stops, saying what failed and what to do.
 *
 * One per worker session, shared by its slots (and only a loop's spends runs on it): each champion's code is checked at most once (keyed
 * by the code itself, command and budget included), and callers that need the same check while it
 * runs wait for that one run. A run that gave a value on the champion's unchanged code settles it
 * without a preflight; one that crashed on it is its own preflight. The preflight runs the code in a
 * folder of its own (jobs/run-in-slot.ts, runApart), never in the member's workspace, and its run
 * events carry `preflight`.
 */
export class Preflight {
  readonly #opts: PreflightOptions;
  readonly #checks = new Map<string, Promise<PreflightVerdict>>();
  /** The codes known to run here. */
  readonly #ok = new Set<string>();
  #problem: MachineProblem | null = null;
  #runs = 0;

  constructor(opts: PreflightOptions) {
    this.#opts = opts;
  }

  /** How many preflight runs this session has started. */
  get runs(): number {
    return this.#runs;
  }

  /** The first problem found, if any. */
  get problem(): MachineProblem | null {
    return this.#problem;
  }

  /** A run of the champion's unchanged code gave a value here: it needs no preflight. */
  ran(task: TaskResponse): void {
    const key = codeKey(task);
    this.#ok.add(key);
    this.#checks.set(key, Promise.resolve(OK));
  }

  /**
   * A run of the champion's unchanged code crashed here: it was its own preflight, and this machine
   * is at fault, unless the same code gave a value here before (then the crash is sent as always).
   */
  async crashed(ctx: JobContext, task: TaskResponse, outcome: RunOutcome, crash: CrashedRun): Promise<PreflightVerdict> {
    if (this.#ok.has(codeKey(task))) return OK;
    // A pending claim that crashes says nothing about this machine: check the program's own code.
    if (preflightCode(task) !== task) return this.check(ctx, task, crash);
    const problem = await this.#problemOf(ctx, task, outcome, crash, true);
    const verdict: PreflightVerdict = { kind: 'machine', problem };
    this.#checks.set(codeKey(task), Promise.resolve(verdict));
    this.#found(problem);
    return verdict;
  }

  /**
   * Whether the champion's code of `task` runs here: known already, or found out by running it
   * once (callers meanwhile wait for that run). After a problem, every check answers with it (the
   * worker is stopping; no further run is spent).
   */
  check(ctx: JobContext, of: TaskResponse, crash: CrashedRun): Promise<PreflightVerdict> {
    if (this.#problem !== null) return Promise.resolve({ kind: 'machine', problem: this.#problem });
    const task = preflightCode(of);
    const key = codeKey(task);
    let check = this.#checks.get(key);
    if (check === undefined && !this.#opts.run) return Promise.resolve({ kind: 'unchecked' });
    if (check === undefined) {
      const started = this.#run(ctx, task, crash);
      check = started;
      this.#checks.set(key, started);
      // Undecided (stopped, or an error of the worker's own): a later crash checks again.
      const forget = () => {
        if (this.#checks.get(key) === started) this.#checks.delete(key);
      };
      void started.then((v) => v.kind === 'stopped' && forget(), forget);
    }
    return check;
  }

  async #run(ctx: JobContext, task: TaskResponse, crash: CrashedRun): Promise<PreflightVerdict> {
    this.#runs += 1;
    const spec = task.program.spec;
    const champion = task.champion?.id ?? null;
    const outcome = await runApart(ctx, {
      run: crash.run,
      files: new Map(task.files.map((f) => [f.path, f.content])),
      kind: 'preflight',
      name: champion ?? 'original',
      command: spec.run,
      spec,
      budgetSeconds: spec.time_budget,
      ...(this.#opts.graceSeconds !== undefined ? { graceSeconds: this.#opts.graceSeconds } : {}),
      preflight: { champion },
    });
    if (outcome.stopped) return { kind: 'stopped' };
    if (outcome.status === 'ok') {
      this.#ok.add(codeKey(task));
      return OK;
    }
    const problem = await this.#problemOf(ctx, task, outcome, crash, false);
    this.#found(problem);
    return { kind: 'machine', problem };
  }

  #found(problem: MachineProblem): void {
    if (this.#problem !== null) return;
    this.#problem = problem;
    this.#opts.onProblem(problem);
  }

  async #problemOf(ctx: JobContext, task: TaskResponse, outcome: RunOutcome, crash: CrashedRun, own: boolean): Promise<MachineProblem> {
    const champion = task.champion?.id ?? null;
    const code = champion === null ? 'the program\'s original code' : `the unchanged code of champion ${quotable(champion)}`;
    const explained = await explainCrash({ command: task.program.spec.run, reason: outcome.reason, tail: outcome.tail, path: runPath(ctx), cwd: ctx.slot.dirs.workspace });
    const what = own ? `${crash.what} ran ${code} and crashed` : `${crash.what} crashed, and ${code} crashes on this machine too (preflight)`;
    const log = outcome.logFile !== undefined ? `; the log: ${quotable(outcome.logFile)}` : '';
    const fix = explained.missingModule === null ? '. Fix this machine and run again' : '';
    return {
      champion,
      failingLine: explained.failingLine,
      message: `${what}: this is this machine's problem, not the code's, so ${crash.dropped} and the worker stops. ${explained.text}${fix}${log}.`,
    };
  }
}

/**
 * The code a preflight runs: the champion's, unless the champion is a claim not yet re-run and the
 * host sent the program's original code (TaskResponse.original). A claim is only a claim: one
 * whose code crashes everywhere (a broken or a fake one) must not make every machine look broken,
 * and must not escape its re-runs, whose crashes a preflight on the claim itself would hold back.
 */
export function preflightCode(task: TaskResponse): TaskResponse {
  if (task.champion?.verification !== 'pending' || task.original === undefined) return task;
  const editable = task.program.spec.editable;
  const files = new Map(task.files.map((f) => [f.path, f.content]));
  for (const path of editable) files.delete(path);
  for (const f of task.original) if (editable.includes(f.path)) files.set(f.path, f.content);
  return { ...task, champion: null, files: [...files].map(([path, content]) => ({ path, content })) };
}

/** The code a champion is: its files, with the command and budget it runs under. */
function codeKey(task: TaskResponse): string {
  const hash = createHash('sha256');
  const spec = task.program.spec;
  hash.update(JSON.stringify([spec.run, spec.time_budget]));
  for (const f of [...task.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(JSON.stringify([f.path, f.content]));
  return hash.digest('hex');
}

/** Whether `files` (by path) are exactly the champion's code of `task`. */
export function isChampionCode(task: TaskResponse, files: ReadonlyMap<string, string>): boolean {
  return files.size === task.files.length && task.files.every((f) => files.get(f.path) === f.content);
}
