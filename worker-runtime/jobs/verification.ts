import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LIMITS, type RerunReport, type TaskResponse, type VerificationJob as JobSpec } from '../../protocol/index.ts';
import type { Hardware } from '../hardware.ts';
import { RejectedError } from '../member-client.ts';
import { resultOutput, runInSlot } from './run-in-slot.ts';
import type { Job, JobContext, JobOutcome } from './job.ts';

/**
 * A verification job (docs/design.md, "Verified champions"): another member's claim, run exactly as
 * it was submitted (the program's files with the claim's editable files), sandboxed like any run,
 * with the program's command and budget; the value it gets (or the crash) is reported under the
 * job's lease. It runs in a folder of its own, made for it and removed after, never in the member's
 * workspace: the member's own edits are not touched, and nothing the claim's code leaves behind is
 * read back (only its output is).
 */
export class VerificationJob implements Job {
  readonly kind = 'verification';
  readonly task: TaskResponse;
  readonly spec: JobSpec;
  readonly #settings: { hardware: Hardware; graceSeconds?: number };

  constructor(task: TaskResponse, spec: JobSpec, settings: { hardware: Hardware; graceSeconds?: number }) {
    this.task = task;
    this.spec = spec;
    this.#settings = settings;
  }

  async run(ctx: JobContext): Promise<JobOutcome> {
    const { emit, host } = ctx;
    const { spec, task } = this;
    const run = ctx.nextRun();
    emit({ type: 'verify-start', run, claim: spec.claim });
    const root = join(ctx.slot.dirs.state, 'verify');
    await mkdir(root, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(root, `${spec.claim.id}-`));
    try {
      // The program's files, then the claim's editable files over them. Nothing has run here yet.
      const files = new Map(task.files.map((f) => [f.path, f.content]));
      for (const f of spec.files) files.set(f.path, f.content);
      for (const [path, content] of files) {
        const to = join(dir, ...path.split('/'));
        await mkdir(dirname(to), { recursive: true });
        await writeFile(to, content);
      }
      const logFile = join(root, `${spec.claim.id}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
      const outcome = await runInSlot(ctx, {
        run,
        dir,
        readOnly: [...files.keys()].map((p) => join(dir, ...p.split('/'))),
        command: spec.run,
        spec: task.program.spec,
        budgetSeconds: spec.time_budget,
        ...(this.#settings.graceSeconds !== undefined ? { graceSeconds: this.#settings.graceSeconds } : {}),
        logFile,
      });
      if (outcome.stopped) return 'stopped'; // no report: the lease runs out and the claim is offered again

      const crashed = outcome.status === 'crash';
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
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
