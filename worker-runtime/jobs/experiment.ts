import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultSummary, SubmitResultRequest, TaskResponse } from '../../protocol/index.ts';
import type { Hardware } from '../hardware.ts';
import { codeLineage, type CodeLineage } from '../lineage.ts';
import { RejectedError } from '../member-client.ts';
import { propose } from '../proposer/propose.ts';
import type { Random } from '../proposer/mutate.ts';
import { resultOutput, runInSlot } from './run-in-slot.ts';
import type { HostSession } from '../session/host-session.ts';
import type { Preflight } from '../session/preflight.ts';
import { Workspace, WorkspaceTamperedError } from '../workspace/workspace.ts';
import type { Job, JobContext, JobOutcome } from './job.ts';

export interface ExperimentSettings {
  hardware: Hardware;
  /** The hypothesis of a run without a proposer's (otherwise "manual run"). */
  hypothesis?: string;
  /** `mutate` or a shell command run in the workspace before the run. */
  propose?: string;
  random?: Random;
  graceSeconds?: number;
  /** Put the editable files back to the champion once the result is in the outbox (a loop's next run starts from the champion). */
  resetAfter: boolean;
  /** The worker's preflight: a crash is submitted only when the champion's unchanged code runs here. */
  preflight?: Preflight;
}

/**
 * One experiment on the champion of `task`: sync the slot's workspace, propose, run the program's
 * command sandboxed, submit through the outbox. Whatever ran in the workspace (the propose step, the
 * run) may have planted links or special files; the worker refuses to read or write through them,
 * refuses the run that left them (nothing of it is submitted), quarantines the workspace and lays it
 * out again. A crash is submitted only when the preflight (session/preflight.ts) finds that the
 * champion's unchanged code runs on this machine.
 */
export class ExperimentJob implements Job {
  readonly kind = 'experiment';
  readonly task: TaskResponse;
  readonly #settings: ExperimentSettings;

  constructor(task: TaskResponse, settings: ExperimentSettings) {
    this.task = task;
    this.#settings = settings;
  }

  async run(ctx: JobContext): Promise<JobOutcome> {
    const { task } = this;
    const spec = task.program.spec;
    const workspace = new Workspace(ctx.slot.dirs, spec.editable);
    const report = await workspace.sync(task);
    ctx.emit({ type: 'sync', report, champion: task.champion, metric: spec.metric });
    if (report.rebuilt) ctx.emit({ type: 'warning', message: `the workspace held what the worker will not touch (${report.rebuilt.problems.join('; ')}); it was moved to ${report.rebuilt.movedTo} and laid out again` });
    if (report.stashedTo) ctx.emit({ type: 'warning', message: `your edits to ${spec.editable.join(', ')} were kept in ${report.stashedTo} before the new champion's code replaced them` });

    const run = ctx.nextRun();
    let stage: 'propose' | 'run' = 'propose';
    // What the member had before the proposer edited: a stopped run puts it back (the mutator's
    // edit was never submitted, and the next manual run must not submit it either).
    const had = await workspace.editableFiles();
    try {
      const outcome = await this.#experiment(ctx, run, workspace, () => {
        stage = 'run';
      });
      if (outcome === 'stopped' && this.#settings.propose !== undefined) {
        await workspace.restore(had);
        ctx.emit({ type: 'info', message: `stopped: ${spec.editable.join(', ')} put back as they were before the proposer's edit` });
      }
      return outcome;
    } catch (err) {
      if (!(err instanceof WorkspaceTamperedError)) throw err;
      const movedTo = await workspace.quarantine();
      ctx.emit({ type: 'tampered', run, by: stage, problems: err.problems, movedTo });
      await workspace.sync(task);
      return 'refused';
    }
  }

  async #experiment(ctx: JobContext, run: number, workspace: Workspace, running: () => void): Promise<JobOutcome> {
    const { task } = this;
    const settings = this.#settings;
    const spec = task.program.spec;
    const { emit, host, signal } = ctx;
    let hypothesis = settings.hypothesis ?? null;
    if (settings.propose !== undefined) {
      hypothesis = (await propose({
        propose: settings.propose,
        ...(settings.random ? { random: settings.random } : {}),
        ...(signal ? { signal } : {}),
        onOutput: (chunk) => emit({ type: 'output', chunk, stream: 'stdout' }),
      }, host, workspace, task)) ?? hypothesis;
      await refuseTampering(workspace, task);
      if (hypothesis) emit({ type: 'propose', hypothesis });
    }
    const patch = await workspace.diff();
    const parent = task.champion?.id ?? null;

    emit({ type: 'lineage', run, ...(await lineageOf(host, parent, workspace)) });
    await mkdir(workspace.logsDir, { recursive: true });
    const logFile = join(workspace.logsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    // The run may write in the workspace and the cache, but not the program's files.
    const started = new Date();
    const outcome = await runInSlot(ctx, {
      run,
      dir: workspace.dir,
      readOnly: task.files.map((f) => join(workspace.dir, ...f.path.split('/'))),
      command: spec.run,
      spec,
      budgetSeconds: spec.time_budget,
      ...(settings.graceSeconds !== undefined ? { graceSeconds: settings.graceSeconds } : {}),
      logFile,
      starting: running,
    });
    if (outcome.stopped) return 'stopped'; // a run stopped by the person is not a result
    await refuseTampering(workspace, task);

    const crashed = outcome.status === 'crash';
    const preflight = settings.preflight;
    if (preflight !== undefined && patch === '' && !crashed) preflight.ran(task);
    if (preflight !== undefined && crashed) {
      // A crash the champion's unchanged code has too is this machine's, not a result. The run of
      // the unchanged code (no patch) is its own preflight.
      const crash = { run, what: `run ${run}`, dropped: 'the crash was not submitted' };
      const verdict = patch === '' ? await preflight.crashed(ctx, task, outcome, crash) : await preflight.check(ctx, task, crash);
      if (verdict.kind === 'stopped') return 'stopped';
      if (verdict.kind === 'machine') {
        if (settings.resetAfter) await workspace.reset();
        return 'done';
      }
    }
    const body: SubmitResultRequest = {
      value: crashed ? null : outcome.value,
      crashed,
      hypothesis: hypothesis ?? 'manual run',
      patch,
      output: resultOutput(outcome),
      hardware: settings.hardware,
      durations: { ...outcome.durations, started_at_ms: started.getTime() },
      parent,
      idempotency_key: randomUUID(),
    };
    await host.submit(body);
    // The run's change now lives in the KB (or the outbox); the next one starts from the champion.
    if (settings.resetAfter) await workspace.reset();
    return 'done';
  }
}

/** Throws when what just ran left the workspace in a state the worker will not read or write through. */
async function refuseTampering(workspace: Workspace, task: TaskResponse): Promise<void> {
  const problems = await workspace.inspect(task);
  if (problems.length > 0) throw new WorkspaceTamperedError(problems);
}

/**
 * Whose changes the code of the next run contains: the champion's lineage from the host (one
 * bounded request, waited for like every host call). A host without the lineage endpoint answers
 * 404, and the lineage is then shown as incomplete rather than failing the run.
 */
async function lineageOf(host: HostSession, championId: string | null, workspace: Workspace): Promise<CodeLineage> {
  const localEdits = await workspace.localEdits();
  let chain: ResultSummary[] = [];
  if (championId !== null) {
    try {
      chain = (await host.lineage(championId)).chain;
    } catch (err) {
      if (!(err instanceof RejectedError && err.code === 'not_found')) throw err;
    }
  }
  return codeLineage(chain, championId, host.membership.memberId, localEdits);
}
