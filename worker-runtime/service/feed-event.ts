import type { WorkerFeedEvent } from '../../protocol/index.ts';
import type { WorkerEvent } from '../worker.ts';

/** `slot` only when the worker gave one (several slots), as the feed's schema has it optional. */
function slotOf(e: WorkerEvent): { slot?: number } {
  return e.slot === undefined ? {} : { slot: e.slot };
}

/**
 * A worker event as the UI's feed carries it (snake_case on the wire, as every Cohort API). Output
 * and metric lines pass through; the run's summary fields the view does not show are left out.
 */
export function toFeedEvent(e: WorkerEvent, ctx: { program: string; membership: string; runStartedAt: number }): WorkerFeedEvent | null {
  switch (e.type) {
    case 'info':
    case 'warning':
      // With several slots, a line says whose it is (as the CLI's `[cohort slot N]`).
      return { type: e.type, message: e.slot === undefined ? e.message : `Slot ${e.slot}: ${e.message}` };
    case 'sync':
      return { type: 'sync', champion: e.champion, metric: e.metric, workspace: e.report.dir, stashed_to: e.report.stashedTo };
    case 'propose':
      return { type: 'propose', hypothesis: e.hypothesis };
    case 'sandbox':
      return { type: 'sandbox', sandboxed: e.sandboxed, bwrap: e.bwrap, cache_dir: e.cacheDir, withheld_env: e.withheldEnv, devices: e.devices };
    case 'slots':
      return { type: 'info', message: `One experiment per GPU: ${e.slots.map((s) => `slot ${s.index} on GPU ${s.gpus?.join('+') ?? 'all'}`).join(', ')}.` };
    case 'setup-start':
      return { type: 'setup-start', command: e.command, why: e.why, log_file: e.logFile, home: e.home, sandboxed: e.sandboxed, ...slotOf(e) };
    case 'setup-end':
      return { type: 'setup-end', ok: e.ok, reason: e.reason, seconds: e.seconds, log_file: e.logFile, ...slotOf(e) };
    case 'lineage':
      return {
        type: 'lineage',
        run: e.run,
        champion: e.champion,
        chain: e.chain.map((s) => ({ id: s.id, member: s.member, member_name: s.memberName, you: s.you, value: s.value, hypothesis: s.hypothesis })),
        complete: e.complete,
        local_edits: e.localEdits,
      };
    case 'run-start':
      // A preflight is not a run of its own (session/preflight.ts): the feed says what it checks.
      if (e.preflight) return { type: 'info', message: `Preflight for run ${e.run}: does ${e.preflight.champion === null ? 'the program\'s original code' : `champion ${e.preflight.champion}'s unchanged code`} run on this machine?` };
      return { type: 'run-start', run: e.run, command: e.command, log_file: e.logFile, budget_seconds: e.budgetSeconds, sandboxed: e.sandboxed, ...slotOf(e) };
    case 'output':
      return { type: 'output', chunk: e.chunk, stream: e.stream };
    case 'progress':
      return { type: 'progress', elapsed_seconds: e.elapsedSeconds, budget_seconds: e.budgetSeconds, ...slotOf(e) };
    case 'metric':
      return { type: 'metric', point: { t: Math.max(0, (Date.now() - ctx.runStartedAt) / 1000), name: e.name, value: e.value } };
    case 'run-end':
      if (e.preflight) {
        return e.outcome.status === 'ok'
          ? { type: 'info', message: `Preflight: the champion's code runs here, so the crash of run ${e.run} is the code's.` }
          : { type: 'warning', message: `Preflight: the champion's code crashed here too (${e.outcome.reason}).` };
      }
      return {
        type: 'run-end',
        run: e.run,
        status: e.outcome.status,
        reason: e.outcome.reason,
        value: e.outcome.value,
        wall_seconds: e.outcome.durations.wall_seconds,
        ...slotOf(e),
      };
    case 'submitted':
      return { type: 'submitted', submission: { program: ctx.program, membership: ctx.membership, at: Date.now(), replayed: e.replayed, hypothesis: e.hypothesis, verdict: e.verdict } };
    // The view updates the submission's badge and says so in a line (docs/design.md, "Verified champions").
    case 'claim-verdict':
      return { type: 'claim-verdict', membership: ctx.membership, result: e.result };
    case 'verify-start':
      return { type: 'info', message: `Run ${e.run} re-runs ${e.claim.member_name}'s claim ${e.claim.id} (${e.claim.value}) as it was submitted, to verify it.` };
    case 'verify-end':
      return e.verdict === null
        ? { type: 'warning', message: `The re-run of ${e.claimId} was not recorded: ${e.note ?? 'no verdict'}` }
        : { type: 'info', message: `${e.claimId}: ${e.verdict.verification.replace('_', ' ')} (the re-run got ${e.value === null ? 'a crash' : e.value}).` };
    case 'tampered':
      return { type: 'warning', message: `${e.by === 'run' ? `Run ${e.run}` : `The propose step of run ${e.run}`} was refused and nothing of it submitted: ${e.problems.join('; ')}. The workspace was moved to ${e.movedTo} and laid out again.` };
    case 'rejected':
      return { type: 'rejected', reason: e.reason, moved_to: e.movedTo };
    case 'retry':
      return { type: 'retry', attempt: e.attempt, delay_ms: e.delayMs, reason: e.hint ? `${e.reason}; ${e.hint}` : e.reason };
  }
}
