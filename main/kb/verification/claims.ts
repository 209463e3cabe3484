import type { NoiseReport, RerunRecord, RerunReport, RerunReportResponse, TaskSpec, VerificationJob, VerificationState } from '../../../protocol/index.ts';
import type { EventBus } from '../../events.ts';
import type { FoldSpec, MemberTally } from '../../rules/fold.ts';
import { verifyClaim } from '../../rules/verification.ts';
import type { KbStore, MemberRow, RerunRow, ResultRow, VerdictUpdate } from '../../store/kb-store.ts';
import { KbError } from '../kb-error.ts';
import { applyEditablePatch, editableFiles, type Files } from '../patch.ts';
import { toResultRecord, type ClaimView } from '../records.ts';
import { Leases } from './leases.ts';
import { NOISE_WINDOW, noiseReport, type NoiseInput } from './noise.ts';

/** Claims not reproduced from which the owner's member list flags a member (one can be bad luck). */
const FLAG_NOT_REPRODUCED = 2;

/** Added to twice the time budget for a verification lease: the worker's own grace and the report's trip. */
const LEASE_GRACE_SECONDS = 60;

/** A claim as the fold last judged it. */
export interface Claim {
  seq: number;
  memberId: string;
  /** The value the member claimed. */
  claimed: number | null;
  verification: VerificationState;
  effective: number | null;
}

/**
 * What the claim desk needs of the knowledge base: the store and the program, the fold (its state,
 * and folding the log again), the gate that holds judging, and the champions' files. Nothing else
 * of the KB is reachable from here.
 */
export interface ClaimDeskHost {
  readonly store: KbStore;
  readonly bus: EventBus;
  readonly spec: TaskSpec;
  /** The fold's `verify` (its tolerance defaulted to `min_improvement`); undefined when claims are not verified. */
  readonly verify: FoldSpec['verify'];
  now(): number;
  /** Resolves once the KB's state is consistent with the store (it waits out a rebuild or a refold). */
  ready(): Promise<void>;
  /** A result judged but not yet on disk: settles when its batch is written (rejects when refused). */
  committing(id: string): Promise<void> | undefined;
  /** Runs `fn` with judging held and everything accepted so far on disk; judging resumes when it settles. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside `exclusive`: the log folded again over `reruns`, `write` records the verdicts that change
   * (`always`'s among them) with the files of the results they crown, then the new state (and with it
   * the desk's claims, `adopt`) is swapped in. Returns the verdicts written.
   */
  refold(reruns: Map<string, RerunRow[]>, always: string, write: (updates: VerdictUpdate[], crowned: Map<string, Map<string, string>>) => Promise<void>): Promise<VerdictUpdate[]>;
  /** The fold's tally of a member. */
  tally(memberId: string): Readonly<MemberTally> | undefined;
  /**
   * `memberId`'s claim `row` reproduced at its claimed value, settled without a refold: its member's
   * earned weight and the champion's badge move exactly as a fold would move them.
   */
  reproducedInPlace(memberId: string, row: ResultRow): void;
  /** The fold's state moved without a refold: what was built from it is stale. */
  touched(): void;
  /** A champion's editable files (null: the program's original ones); undefined for a result that is not one. */
  baseFiles(id: string | null): Files | undefined;
}

/**
 * Verification of claims (docs/design.md, "Verified champions"): the jobs handed out under leases,
 * the re-runs reported, and the claims' verification as the fold last judged it. Re-runs are facts
 * of the log like results; a report that changes an effective value has the KB fold the log again
 * (ClaimDeskHost.refold), the common one settles in place.
 */
export class ClaimDesk {
  #host: ClaimDeskHost;
  /** Re-runs by claim id, in the order they were reported. */
  #reruns = new Map<string, RerunRow[]>();
  #lastRerunSeq = 0;
  /** `member\0key` → the claim a re-run with that idempotency key was reported for. */
  #rerunKeys = new Map<string, string>();
  /** Every claim as the fold last judged it (results that are not claims are absent). */
  #claims = new Map<string, Claim>();
  /** Re-run reports, one after another. */
  #reporting: Promise<unknown> = Promise.resolve();
  /** The pending ones among them, built from #claims when needed; null after a refold. */
  #pending: string[] | null = null;
  #leases: Leases;

  constructor(host: ClaimDeskHost) {
    this.#host = host;
    // Twice the time budget plus the worker's grace (DESIGN.md): a slow honest re-run still reports in time.
    this.#leases = new Leases((2 * host.spec.time_budget + LEASE_GRACE_SECONDS) * 1000, () => host.now());
  }

  /** A fold's claims and the re-runs it was folded over, swapped in at once (start-up and refold). */
  adopt(claims: Map<string, Claim>, reruns: Map<string, RerunRow[]>): void {
    this.#claims = claims;
    this.#pending = null;
    this.#reruns = reruns;
    this.#rerunKeys = new Map();
    let last = 0;
    for (const [claimId, list] of reruns) {
      for (const r of list) {
        last = Math.max(last, r.seq);
        if (r.idempotencyKey !== null) this.#rerunKeys.set(`${r.memberId}\0${r.idempotencyKey}`, claimId);
      }
    }
    this.#lastRerunSeq = last;
  }

  /** A submission the fold just judged to be a claim. */
  add(id: string, claim: Claim): void {
    this.#claims.set(id, claim);
    if (claim.verification === 'pending') this.#pending?.push(id);
  }

  /** A result's claim as the fold last judged it; undefined when it is not one. */
  claim(id: string): Readonly<Claim> | undefined {
    return this.#claims.get(id);
  }

  /** A claim's verification and re-runs as records show them; undefined when the result is not a claim. */
  view(id: string, names: ReadonlyMap<string, string>): ClaimView | undefined {
    const claim = this.#claims.get(id);
    if (!claim) return undefined;
    const reruns: RerunRecord[] = (this.#reruns.get(id) ?? []).map((r) => ({
      member: r.memberId,
      member_name: names.get(r.memberId) ?? r.memberId,
      value: r.value,
      hardware: r.hardware,
      at: new Date(r.createdAt).toISOString(),
    }));
    return { verification: claim.verification, effective: claim.effective, reruns };
  }

  /**
   * A verification job for `member` (docs/design.md, "Verified champions"): the oldest pending claim
   * of another member that it has not re-run yet and nobody holds a live lease on; with
   * `same_hardware`, only one made on the member's GPU model (a claim that names none goes to
   * anyone). Null when there is none. A member that holds a live lease gets that job again.
   */
  async nextJob(member: MemberRow, hardware: Record<string, unknown> | undefined): Promise<VerificationJob | null> {
    await this.#host.ready();
    const verify = this.#host.spec.verify;
    if (verify === undefined || verify.replicas === 0) return null;
    const held = this.#leases.heldBy(member.id);
    if (held) return this.#job(held.id, held.claimId, held.expiresAt);
    const gpu = gpuModel(hardware?.gpu) ?? gpuModel(member.gpu);
    // Pending claims only, oldest first: a few, whatever the size of the log.
    for (const id of this.#pendingClaims()) {
      const claim = this.#claims.get(id)!;
      if (claim.verification !== 'pending' || claim.memberId === member.id) continue;
      if ((this.#reruns.get(id) ?? []).some((r) => r.memberId === member.id)) continue;
      if (this.#leases.onClaim(id) || this.#leases.lapsedBy(id, member.id)) continue;
      if (verify.same_hardware) {
        const row = await this.#host.store.getResult(id);
        const claimGpu = gpuModel(row?.hardware.gpu);
        if (claimGpu !== null && claimGpu !== gpu) continue;
      }
      const lease = this.#leases.grant(id, member.id);
      return this.#job(lease.id, id, lease.expiresAt);
    }
    return null;
  }

  /** Ids of the claims still pending, in submission order (kept beside #claims, which holds every claim). */
  #pendingClaims(): string[] {
    this.#pending ??= [...this.#claims].filter(([, c]) => c.verification === 'pending').map(([id]) => id);
    this.#pending = this.#pending.filter((id) => this.#claims.get(id)?.verification === 'pending');
    return this.#pending;
  }

  async #job(lease: string, claimId: string, expiresAt: number): Promise<VerificationJob> {
    const row = await this.#host.store.getResult(claimId);
    if (!row) throw new Error(`claim ${claimId} vanished from the store`);
    const files = this.#claimFiles(row);
    const claimant = await this.#host.store.getMember(row.memberId);
    return {
      lease,
      expires_at: new Date(expiresAt).toISOString(),
      claim: { id: row.id, member_name: claimant?.name ?? row.memberId, value: row.value ?? Number.NaN, hardware: row.hardware },
      files: [...files].sort(([a], [b]) => a.localeCompare(b)).map(([path, content]) => ({ path, content })),
      code_hash: row.codeHash,
      run: this.#host.spec.run,
      time_budget: this.#host.spec.time_budget,
    };
  }

  /** A claim's editable files: a champion's are kept; another's are its parent's with its patch applied. */
  #claimFiles(row: ResultRow): Files {
    const kept = this.#host.baseFiles(row.id);
    if (kept) return kept;
    const base = this.#host.baseFiles(row.parent);
    if (!base) throw new Error(`claim ${row.id} names parent ${row.parent}, which is not a champion`);
    const { editable } = this.#host.spec;
    return editableFiles(applyEditablePatch(base, row.patch, editable), editable);
  }

  /**
   * A re-run's report, under a live lease held by `member`. Durable and idempotent like a
   * submission. The state is then the fold of the log with this re-run: the claim's verdict, and
   * every later verdict that changes with it, are written in the same transaction as the re-run.
   */
  report(member: MemberRow, leaseId: string, body: RerunReport): Promise<{ response: RerunReportResponse; replayed: boolean }> {
    // One report at a time: each starts from the re-runs the one before it left (they are rare).
    const done = this.#reporting.then(() => this.#report(member, leaseId, body));
    this.#reporting = done.catch(() => undefined);
    return done;
  }

  async #report(member: MemberRow, leaseId: string, body: RerunReport): Promise<{ response: RerunReportResponse; replayed: boolean }> {
    const host = this.#host;
    await host.ready();
    const key = body.idempotency_key === undefined ? null : `${member.id}\0${body.idempotency_key}`;
    const earlier = key === null ? undefined : this.#rerunKeys.get(key);
    if (earlier !== undefined) return { response: await this.#reportResponse(earlier), replayed: true };
    const lease = this.#leases.live(leaseId);
    if (!lease || lease.memberId !== member.id) {
      throw new KbError('lease_expired', 'There is no live verification lease with that id for you (it expired, was never granted to you, or the host restarted): ask for a new job (POST /api/verifications/next).');
    }
    const claim = this.#claims.get(lease.claimId);
    if (!claim || claim.verification !== 'pending') {
      this.#leases.release(lease.claimId);
      throw new KbError('claim_settled', `Claim ${lease.claimId} is already decided (${claim?.verification ?? 'no longer a claim'}); nothing was recorded.`);
    }
    if (claim.memberId === member.id) throw new KbError('own_claim', 'A member never verifies its own claim.');
    // A claim judged a moment ago may not be on disk yet: its re-run is written after it, never before
    // (the re-run refers to it; written first, it would fail and take the claim's batch with it).
    const committing = host.committing(lease.claimId);
    if (committing) {
      await committing.catch(() => {
        throw new KbError('claim_settled', `Claim ${lease.claimId} was not recorded after all (the host could not write it); nothing was recorded.`);
      });
    }

    const crashed = body.crashed === true || body.value === null;
    const seq = this.#lastRerunSeq + 1;
    const rerun: RerunRow = {
      seq,
      id: `v${seq}`,
      claimId: lease.claimId,
      memberId: member.id,
      value: crashed ? null : body.value,
      hardware: body.hardware ?? {},
      output: body.output ?? '',
      durations: body.durations ?? {},
      idempotencyKey: body.idempotency_key ?? null,
      createdAt: host.now(),
    };
    const reruns = new Map(this.#reruns);
    reruns.set(rerun.claimId, [...(reruns.get(rerun.claimId) ?? []), rerun]);
    // The common case changes no verdict: submissions go on being judged meanwhile.
    if (await this.#settleInPlace(claim, rerun, reruns)) return { response: await this.#reportResponse(rerun.claimId), replayed: false };

    // Nothing is judged while the log is folded again with this re-run, and everything accepted so far is on disk first.
    return host.exclusive(async () => {
      const updates = await host.refold(reruns, rerun.claimId, (list, crowned) => host.store.appendRerun(rerun, list, crowned));
      this.#leases.release(rerun.claimId, true);
      await this.#publishUpdates(updates);
      return { response: await this.#reportResponse(rerun.claimId), replayed: false };
    });
  }

  /**
   * The common case, without folding the log again: the re-run leaves the claim pending (more
   * replicas to come) or reproduces it at its claimed value. No effective value changes, so no
   * verdict does: the claim's verification, its member's earned weight and the champion's badge are
   * all that move, exactly as a fold would move them (a restart checks it). False when a fold is needed.
   */
  async #settleInPlace(claim: Claim, rerun: RerunRow, reruns: Map<string, RerunRow[]>): Promise<boolean> {
    const host = this.#host;
    const verify = host.verify;
    if (verify === undefined || claim.claimed === null) return false;
    const names = await this.#memberNames();
    const decided = verifyClaim(host.spec.direction, claim.claimed, reruns.get(rerun.claimId)!.map((r) => ({ member: names.get(r.memberId) ?? r.memberId, value: r.value })), verify);
    const unchanged = decided.state === 'pending' || (decided.state === 'reproduced' && decided.effective === claim.claimed);
    if (!unchanged) return false;
    const row = await host.store.getResult(rerun.claimId);
    if (!row) return false;
    const update: VerdictUpdate[] =
      decided.state === 'reproduced' ? [{ id: row.id, status: row.status, impact: row.impact, champion: row.champion, duplicateOf: row.duplicateOf, reason: `${row.reason} (reproduced: ${decided.reason})` }] : [];
    await host.store.appendRerun(rerun, update);
    this.#reruns = reruns;
    this.#lastRerunSeq = rerun.seq;
    if (rerun.idempotencyKey !== null) this.#rerunKeys.set(`${rerun.memberId}\0${rerun.idempotencyKey}`, rerun.claimId);
    if (decided.state === 'reproduced') {
      claim.verification = 'reproduced';
      host.reproducedInPlace(claim.memberId, row);
      this.#leases.release(rerun.claimId, true);
    } else {
      this.#leases.release(rerun.claimId); // more replicas: offered again, to another member
    }
    host.touched();
    await this.#publishUpdates([{ id: row.id, status: row.status, impact: row.impact, champion: row.champion, duplicateOf: row.duplicateOf, reason: row.reason }]);
    return true;
  }

  async #reportResponse(claimId: string): Promise<RerunReportResponse> {
    const row = await this.#host.store.getResult(claimId);
    const claim = this.#claims.get(claimId);
    return {
      claim: { id: claimId, verification: claim?.verification ?? 'none', effective_value: claim?.effective ?? row?.value ?? null, status: row?.status ?? 'discard', reason: row?.reason ?? '' },
    };
  }

  /** Members and the owner hear of every verdict a re-run changed (`verdict` events). */
  async #publishUpdates(updates: readonly VerdictUpdate[]): Promise<void> {
    const names = await this.#memberNames();
    for (const u of updates) {
      const row = await this.#host.store.getResult(u.id);
      if (row) this.#host.bus.publish({ type: 'verdict', result: toResultRecord(row, names.get(row.memberId) ?? row.memberId, this.view(row.id, names)) });
    }
  }

  /**
   * The owner puts a pending claim back in the queue: a live lease on it is dropped (its verifier
   * went quiet, or the owner wants another machine to take it), and the next member to ask gets it.
   */
  requeue(claimId: string): { claim: string; released: string | null } {
    const claim = this.#claims.get(claimId);
    if (!claim) throw new KbError('not_found', `${claimId} is not a claim of this program (only accepted results are verified).`);
    if (claim.verification !== 'pending') throw new KbError('claim_settled', `${claimId} is already decided (${claim.verification.replace('_', ' ')}); there is nothing to re-queue.`);
    const lease = this.#leases.revoke(claimId);
    return { claim: claimId, released: lease?.memberId ?? null };
  }

  /** A member's claims that did not reproduce, for the owner's member list (flagged from FLAG_NOT_REPRODUCED on). */
  verificationOf(memberId: string): { not_reproduced: number; flagged: boolean } {
    const n = this.#host.tally(memberId)?.notReproduced ?? 0;
    return { not_reproduced: n, flagged: n >= FLAG_NOT_REPRODUCED };
  }

  /** Over the claims re-run most recently (noise.ts): bounded whatever the size of the log. */
  noise(): NoiseReport | null {
    const inputs: NoiseInput[] = [];
    for (const [id, reruns] of this.#reruns) {
      const claimed = this.#claims.get(id)?.claimed;
      if (claimed !== undefined && claimed !== null) inputs.push({ claimed, reruns: reruns.map((r) => r.value) });
    }
    return noiseReport(inputs.slice(-NOISE_WINDOW));
  }

  async #memberNames(): Promise<Map<string, string>> {
    return new Map((await this.#host.store.listMembers()).map((m) => [m.id, m.name]));
  }
}

/** A GPU model as members state it ("NVIDIA H100 80GB HBM3"), compared case- and space-insensitively; null when none. */
function gpuModel(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const model = v.trim().replace(/\s+/g, ' ').toLowerCase();
  return model === '' || model === 'cpu' || model === 'none' ? null : model;
}
