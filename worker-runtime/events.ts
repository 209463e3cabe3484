import type { Champion, RerunReportResponse, ResultRecord, ResultVerdict, VerificationJob } from '../protocol/index.ts';
import type { CodeLineage } from './lineage.ts';
import type { RunOutcome } from './runner/run-experiment.ts';
import type { SandboxInfo } from './sandbox/session.ts';
import type { SyncReport } from './workspace/workspace.ts';

/**
 * What a worker tells the person (the CLI prints it, the app's feed shows it). With several slots
 * (one per GPU), each event of a slot's job says which slot (`slot`, its index).
 */
export type WorkerEvent = SlotEvent & { slot?: number };

type SlotEvent =
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'sync'; report: SyncReport; champion: Champion | null; metric: string }
  | { type: 'propose'; hypothesis: string }
  /** Once, before anything runs: how runs are confined (`sandboxed: false` comes with a warning). */
  | ({ type: 'sandbox' } & SandboxInfo)
  /** Once, when there are several slots: each slot's GPUs and workspace. */
  | { type: 'slots'; slots: { index: number; gpus: number[] | null; workspace: string }[] }
  /** The program's setup starts in a slot's workspace (with network), and why now. */
  | { type: 'setup-start'; command: string; why: string; logFile: string; home: string; sandboxed: boolean }
  | { type: 'setup-end'; ok: boolean; reason: string; seconds: number; logFile: string }
  /** Before each run: whose changes the code about to run contains. */
  | ({ type: 'lineage'; run: number } & CodeLineage)
  /** `preflight`: not a run of its own but the champion's unchanged code, run to see whether a crash of run `run` is this machine's (session/preflight.ts). */
  | { type: 'run-start'; run: number; command: string; logFile: string; budgetSeconds: number; sandboxed: boolean; preflight?: PreflightMark }
  | { type: 'output'; chunk: string; stream: 'stdout' | 'stderr' }
  | { type: 'progress'; elapsedSeconds: number; budgetSeconds: number; lastMetric: { name: string; value: number } | null }
  | { type: 'metric'; name: string; value: number }
  | { type: 'run-end'; run: number; outcome: RunOutcome; preflight?: PreflightMark }
  /** What ran last (a run, or the propose step before it) left links or special files where the worker keeps the program: nothing of it is submitted. */
  | { type: 'tampered'; run: number; by: 'run' | 'propose'; problems: string[]; movedTo: string }
  | { type: 'submitted'; verdict: ResultVerdict; replayed: boolean; hypothesis: string }
  /** A verification job: another member's claim, re-run as it is (docs/design.md, "Verified champions"). */
  | { type: 'verify-start'; run: number; claim: VerificationJob['claim'] }
  /** Another member's re-run decided one of this member's claims. */
  | { type: 'claim-verdict'; result: ResultRecord }
  /** Its report: the host's verdict, or why none came (the lease ran out, the claim was decided meanwhile). */
  | { type: 'verify-end'; run: number; claimId: string; value: number | null; verdict: RerunReportResponse['claim'] | null; note?: string }
  | { type: 'rejected'; key: string; reason: string; movedTo: string }
  /** A host call failed because the host is down or failing on its side; it is tried again after `delayMs`. */
  /** `hint`: after the host has been unreachable a while, how to re-point a membership whose host moved. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string; hint?: string };

/** Marks the run events of a preflight: whose code it runs (the champion's id; null for the program's original code). */
export interface PreflightMark {
  champion: string | null;
}

export type Emit = (event: WorkerEvent) => void;
