import { randomUUID } from 'node:crypto';
import { LIMITS, type RerunReport, type TaskResponse, type VerificationJob as JobSpec } from '../../protocol/index.ts';
import type { Hardware } from '../hardware.ts';
import { RejectedError } from '../member-client.ts';
import { isChampionCode, type Preflight } from '../session/preflight.ts';
import { resultOutput, runApart } from './run-in-slot.ts';
import type { Job, JobContext, JobOutcome } from './job.ts';

export interface VerificationSettings {
  hardware: Hardware;
  graceSeconds?: number;
  /** The worker's preflight: a crashed re-run is reported only when the champion's code runs here. */
  preflight?: Preflight;
}

/**
 * A verification job (docs/design.md, "Verified champions"): another member's claim, run exactly as
 * it was submitted (the program's files with the claim's editable files), sandboxed like any run,
 * with the program's command and budget; the value it gets (or the crash) is reported under the
 * job's lease. It runs in a folder of its own, made for it and removed after, never in the member's
 * workspace: the member's own edits are not touched, and nothing the claim's code leaves behind is
 * read back (only its output is). A crash sinks the claim at once, so a crashed re-run is reported
 * only once the preflight says that the champion's code runs on this machine; otherwise it is not
 * reported (the lease lapses, and the host offers the claim to another member) and the worker stops.
 */
export class VerificationJob implements Job {
  readonly kind = 'verification';
  readonly task: TaskResponse;
  readonly spec: JobSpec;
  readonly #settings: VerificationSettings;

  constructor(task: TaskResponse, spec: JobSpec, settings: VerificationSettings) {
    this.task = task;
    this.spec = spec;
    this.#settings = settings;
  }

  async run(ctx: JobContext): Promise<JobOutcome> {
    const { emit, host } = ctx;
    const { spec, task } = this;
    const run = ctx.nextRun();
    emit({ type: 'verify-start', run, claim: spec.claim });
    // The program's files, then the claim's editable files over them.
    const files = new Map(task.files.map((f) => [f.path, f.content]));
    for (const f of spec.files) files.set(f.path, f.content);
    const outcome = await runApart(ctx, {
      run,
      files,
      kind: 'verify',
      name: spec.claim.id,
      command: spec.run,
      spec: task.program.spec,
      budgetSeconds: spec.time_budget,
      ...(this.#settings.graceSeconds !== undefined ? { graceSeconds: this.#settings.graceSeconds } : {}),
    });
    if (outcome.stopped) return 'stopped'; // no report: the lease runs out and the claim is offered again

    const crashed = outcome.status === 'crash';
    const preflight = this.#settings.preflight;
    // The claim's code is the champion's (the claim is the champion): a value settles the
    // preflight, a crash is its own.
    const championCode = preflight !== undefined && isChampionCode(task, files) && spec.run === task.program.spec.run && spec.time_budget === task.program.spec.time_budget;
    if (!crashed && championCode) preflight.ran(task);
    if (crashed && preflight !== undefined) {
      // A crash sinks the claim at once: first make sure the champion's code runs here at all.
      const crash = { run, what: `the re-run of claim ${spec.claim.id}`, dropped: 'the crash was not reported (the lease lapses and another member re-runs the claim)' };
      const verdict = championCode ? await preflight.crashed(ctx, task, outcome, crash) : await preflight.check(ctx, task, crash);
      if (verdict.kind === 'stopped') return 'stopped';
      if (verdict.kind === 'machine') {
        emit({ type: 'verify-end', run, claimId: spec.claim.id, value: null, verdict: null, note: 'not reported: the champion\'s code crashes on this machine too, so the crash says nothing about the claim' });
        return 'done';
      }
    }
    const report: RerunReport = {
      value: crashed ? null : outcome.value,
      crashed,
      hardware: this.#settings.hardware,
      output: resultOutput(outcome).slice(-LIMITS.output),
      durations: { ...outcome.durations },
      idempotency_key: randomUUID(),
    };
    try {
      const verdict = await host.reportRerun(spec.lease, report);
      emit({ type: 'verify-end', run, claimId: spec.claim.id, value: report.value, verdict });
    } catch (err) {
      // Too late (the lease ran out, the claim was decided meanwhile): nothing to do but say so.
      if (!(err instanceof RejectedError) || (err.code !== 'lease_expired' && err.code !== 'claim_settled')) throw err;
      emit({ type: 'verify-end', run, claimId: spec.claim.id, value: report.value, verdict: null, note: err.message });
    }
    return 'done';
  }
}
