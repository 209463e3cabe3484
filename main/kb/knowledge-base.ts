import type { Champion, ChampionsResponse, CodeResponse, LeaderboardView, LineageResponse, SeriesResponse, ResultSummary, MemberUsage, Payout, ProgramFile, RerunReport, RerunReportResponse, ResultRecord, ResultsResponse, ResultSummaryPage, RosterEntry, StatusResponse, SubmitResultRequest, TaskSpec, VerificationJob } from '../../protocol/index.ts';
import type { EventBus } from '../events.ts';
import { applyResult, emptyState, type FoldSpec, type FoldVerdict, type KbState } from '../rules/fold.ts';
import { reference } from '../rules/judge.ts';
import { addWeight } from '../rules/payouts.ts';
import { isRefusedAfterFailure, type KbStore, type MemberRow, type NewResult, type RerunRow, type ResultFacts, type ResultListQuery, type ResultRow, type VerdictUpdate } from '../store/kb-store.ts';
import { ClaimDesk, type Claim } from './verification/claims.ts';
import { KbError } from './kb-error.ts';
import { GroupCommitter } from './group-commit.ts';
import { Quotas, resultBytes } from './quotas.ts';
import { codeHash } from '../../protocol/node/code-hash.ts';
import { applyEditablePatch, editableFiles, type Files } from './patch.ts';
import * as listings from './listings.ts';
import * as readModels from './read-models.ts';
import { series, type SeriesQuery } from './series.ts';
import { rankMembers } from '../rules/leaders.ts';
import { toChampion, toResultRecord } from './records.ts';

export { KbError } from './kb-error.ts';

/** What the KB needs of a loaded program. */
export interface ProgramSnapshot {
  spec: TaskSpec;
  body: string;
  files: readonly ProgramFile[];
}

/** Lineages kept built: the champions' and the latest results' are the ones asked for. */
const LINEAGES_KEPT = 1_024;

/** Results read per page at start-up: bounded memory whatever the size of the log. */
const LOAD_PAGE = 10_000;

/** What a fold of the log builds, swapped in at once. */
interface Folded {
  state: KbState;
  idempotency: Map<string, string>;
  claims: Map<string, Claim>;
  files: Map<string, Map<string, string>>;
  championRow: ResultRow | null;
  championName: string;
}

/**
 * The program's knowledge base: judges submissions by the KB rules, keeps the champion, and makes
 * every acknowledged result durable before answering (group commit: the submissions that arrive
 * together are written in one transaction, one fsync).
 *
 * Judging happens in memory, in arrival order, the moment a submission arrives: `applyResult`
 * (main/rules/fold.ts) judges it against the state and applies the verdict. On open the state is
 * the same function folded over the stored results, so the store stays the single source of truth
 * and the live state is always what a restart would rebuild.
 */
export class KnowledgeBase {
  readonly program: ProgramSnapshot;
  #store: KbStore;
  #bus: EventBus;
  #now: () => number;
  #committer: GroupCommitter<NewResult>;
  #quotas: Quotas;

  #state: KbState;
  /** The champion's full record (the state keeps only what the rules need of it). */
  #championRow: ResultRow | null = null;
  #championName = '';
  /** `member\0key` → the result that key was first sent with. */
  #idempotency = new Map<string, string>();
  /** Results judged but not yet on disk, by id: a replay of one waits for its commit. */
  #inflight = new Map<string, Promise<void>>();
  #championFiles = new Map<string, Map<string, string>>();
  #original: Map<string, string>;
  /** Resolved while state is consistent with the store; replaced while rebuilding after a failed commit. */
  #ready: Promise<void> = Promise.resolve();
  /** Grows with every change of the fold's state: what was built from the state is good until it does. */
  #stateVersion = 0;
  /** GET /api/status as sent, until the state or the members change (members poll it; building it is most of its cost). */
  #statusJson: { key: string; json: string } | null = null;
  /** Lineages as sent: a judged result's chain of parents never changes, so each is built once (bounded; cleared on rebuild). */
  #lineages = new Map<string, LineageResponse>();

  /** Verified champions (docs/design.md): the claims' verification, its jobs, leases and re-runs (verification/claims.ts). */
  #desk: ClaimDesk;

  private constructor(store: KbStore, program: ProgramSnapshot, bus: EventBus, now: () => number) {
    this.#store = store;
    this.program = program;
    this.#bus = bus;
    this.#now = now;
    this.#original = editableFiles(new Map(program.files.map((f) => [f.path, f.content])), program.spec.editable);
    this.#state = emptyState(this.#foldSpec());
    this.#committer = new GroupCommitter(
      (batch) =>
        this.#store.appendResults(batch).catch((err: unknown) => {
          // The store refused the batch: forget what was judged in memory and start again from disk,
          // once per failure (a batch refused because an earlier one failed is part of that failure),
          // before any later submission is judged.
          if (!isRefusedAfterFailure(err)) this.#ready = this.#load();
          throw err;
        }),
      { inFlight: store.writesInFlight ?? 1 },
    );
    this.#quotas = new Quotas(program.spec.quota, now);
    this.#desk = new ClaimDesk({
      store,
      bus,
      spec: program.spec,
      verify: this.#foldSpec().verify,
      now,
      ready: () => this.#ready,
      committing: (id) => this.#inflight.get(id),
      exclusive: (fn) => this.#exclusive(fn),
      refold: (reruns, always, write) => this.#refold(reruns, always, write),
      tally: (memberId) => this.#state.members.get(memberId),
      reproducedInPlace: (memberId, row) => {
        const tally = this.#state.members.get(memberId);
        if (tally) tally.weight = addWeight(this.spec.accept, tally.weight, { status: row.status, impact: row.impact });
        if (this.#state.champion?.id === row.id) this.#state.champion.verification = 'reproduced';
      },
      touched: () => {
        this.#stateVersion++;
        this.#lineages.clear();
      },
      baseFiles: (id) => (id === null ? this.#original : this.#championFiles.get(id)),
    });
  }

  static async open(opts: { store: KbStore; program: ProgramSnapshot; bus: EventBus; now?: () => number }): Promise<KnowledgeBase> {
    const kb = new KnowledgeBase(opts.store, opts.program, opts.bus, opts.now ?? Date.now);
    await kb.#checkRules();
    await kb.#load();
    return kb;
  }

  /**
   * The judging rules are fixed once results exist: flipping `direction` or changing `editable`
   * under a live KB would silently re-rank everything already recorded. Text and pool may change.
   */
  async #checkRules(): Promise<void> {
    const { name, metric, direction, accept, threshold, min_improvement, baseline, editable } = this.spec;
    // `verify` is not among them: turning verification on, or changing its tolerance, re-judges the
    // claims by their re-runs at the next start (#load), which is what the owner asked for.
    const rules = JSON.stringify({ name, metric, direction, accept, threshold: threshold ?? null, min_improvement, baseline: baseline ?? null, editable });
    const stored = await this.#store.getMeta('rules');
    if (stored !== null && stored !== rules && (await this.#store.listResultFacts(0, 1)).length > 0) {
      const before = JSON.parse(stored) as Record<string, unknown>;
      const now = JSON.parse(rules) as Record<string, unknown>;
      const changed = Object.keys(now).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
      throw new KbError(
        'rules_changed',
        `TASK.md changed ${changed.join(', ')} since this program's KB recorded results; results judged by the old rules cannot be re-ranked. Restore ${changed.length > 1 ? 'those fields' : 'that field'}, or publish the new rules under a new name.`,
      );
    }
    if (stored !== rules) await this.#store.setMeta('rules', rules);
  }

  /** Results in the log (accepted or not). */
  get total(): number {
    return this.#state.seq;
  }

  get spec(): TaskSpec {
    return this.program.spec;
  }

  #foldSpec(): FoldSpec {
    const { direction, accept, threshold, min_improvement, baseline, verify } = this.spec;
    return { direction, accept, threshold, min_improvement, baseline, verify: verify && { replicas: verify.replicas, tolerance: verify.tolerance ?? min_improvement } };
  }

  /** Rebuilds the state from the store: the fold over every stored result, a page at a time. */
  async #load(): Promise<void> {
    const reruns = await this.#store.listReruns();
    const byClaim = new Map<string, RerunRow[]>();
    for (const r of reruns) byClaim.set(r.claimId, [...(byClaim.get(r.claimId) ?? []), r]);
    // TASK.md's `verify` changed since the verdicts were written (verification turned on or off, a
    // new tolerance or number of replicas): the claims are judged again by their re-runs, and the
    // verdicts that change are written, once. Otherwise every stored verdict must be the fold's.
    const verify = JSON.stringify(this.#foldSpec().verify ?? null);
    const stored = await this.#store.getMeta('verify');
    if (stored === verify || (stored === null && byClaim.size === 0)) {
      this.#swap(await this.#fold(byClaim, null), byClaim);
    } else {
      const updates: VerdictUpdate[] = [];
      const folded = await this.#fold(byClaim, { list: updates, always: '' });
      if (updates.length > 0) await this.#store.updateVerdicts(updates, await this.#crowned(updates, folded));
      await this.#refreshChampion(folded);
      this.#swap(folded, byClaim);
    }
    if (stored !== verify) await this.#store.setMeta('verify', verify);
  }

  /**
   * Results crowned by a change of verdicts (their code was a duplicate of a claim that did not
   * reproduce, or they now beat a lower reference) never had their files kept: they are, with the
   * verdicts (members build on a champion's files).
   */
  async #crowned(updates: readonly VerdictUpdate[], folded: Folded): Promise<Map<string, Map<string, string>>> {
    const crowned = new Map<string, Map<string, string>>();
    for (const u of updates) {
      if (!u.champion || folded.files.has(u.id)) continue;
      const row = await this.#store.getResult(u.id);
      const base = row && (row.parent === null ? this.#original : folded.files.get(row.parent));
      if (!row || !base) continue;
      const files = editableFiles(applyEditablePatch(base, row.patch, this.spec.editable), this.spec.editable);
      crowned.set(u.id, files);
      folded.files.set(u.id, files);
    }
    return crowned;
  }

  /** The champion's row as it now stands (the fold read it before its new verdict was written). */
  async #refreshChampion(folded: Folded): Promise<void> {
    if (!folded.state.champion) return;
    folded.championRow = await this.#store.getResult(folded.state.champion.id);
    folded.championName = folded.championRow ? ((await this.#store.getMember(folded.championRow.memberId))?.name ?? folded.championRow.memberId) : '';
  }

  /**
   * The fold over every stored result with `reruns`. Without `updates` each stored verdict must be
   * what the fold gives (checkStoredVerdict); with it, the verdicts that differ are collected
   * (a re-run changed them: the caller writes them with the re-run).
   */
  async #fold(reruns: ReadonlyMap<string, readonly RerunRow[]>, updates: { list: VerdictUpdate[]; always: string } | null): Promise<Folded> {
    const state = emptyState(this.#foldSpec());
    const idempotency = new Map<string, string>();
    // Verdicts name re-runners by the name the owner knows them by (a member's name is fixed at joining).
    const names = reruns.size > 0 ? await this.#memberNames() : new Map<string, string>();
    const claims = new Map<string, Claim>();
    for (let after = 0; ; ) {
      const page = await this.#store.listResultFacts(after, LOAD_PAGE);
      for (const r of page) {
        const rr = reruns.get(r.id);
        // A crash is a fact of the run, not a judgement: its stored status is the only record of it.
        const verdict = applyResult(state, {
          seq: r.seq, id: r.id, member: r.memberId, value: r.value, crashed: r.status === 'crash', codeHash: r.codeHash, bytes: r.bytes,
          reruns: rr?.map((x) => ({ member: names.get(x.memberId) ?? x.memberId, value: x.value })),
        });
        if (verdict.verification !== 'none') claims.set(r.id, { seq: r.seq, memberId: r.memberId, claimed: r.value, verification: verdict.verification, effective: verdict.effectiveValue });
        if (updates === null) checkStoredVerdict(r, verdict);
        else if (!sameVerdict(r, verdict) || r.id === updates.always) {
          updates.list.push({ id: r.id, status: verdict.status, impact: verdict.impact, champion: verdict.champion, duplicateOf: verdict.duplicateOf, reason: verdict.reason });
        }
        if (r.idempotencyKey !== null) idempotency.set(`${r.memberId}\0${r.idempotencyKey}`, r.id);
      }
      const last = page.at(-1);
      if (last === undefined || page.length < LOAD_PAGE) break;
      after = last.seq;
    }
    const [files, championRow] = await Promise.all([
      this.#store.listChampionFiles(),
      state.champion ? this.#store.getResult(state.champion.id) : Promise.resolve(null),
    ]);
    const championMember = championRow ? await this.#store.getMember(championRow.memberId) : null;
    return { state, idempotency, claims, files, championRow, championName: championRow ? (championMember?.name ?? championRow.memberId) : '' };
  }

  /** Swapped in at once: nothing judges against a half-built state. */
  #swap(f: Folded, reruns: Map<string, RerunRow[]>): void {
    this.#state = f.state;
    this.#stateVersion++;
    this.#lineages.clear();
    this.#idempotency = f.idempotency;
    this.#inflight = new Map();
    this.#championFiles = f.files;
    this.#championRow = f.championRow;
    this.#championName = f.championName;
    this.#desk.adopt(f.claims, reruns);
  }

  /** Runs `fn` with judging held (submissions wait on #ready) and everything accepted so far on disk. */
  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.#ready = gate;
    try {
      await this.#committer.drain();
      return await fn();
    } finally {
      open();
    }
  }

  /**
   * The log folded again over `reruns` (under #exclusive): `write` records the verdicts that changed
   * (`always`'s among them) with the files of the results they crowned, then the new state is swapped in.
   */
  async #refold(reruns: Map<string, RerunRow[]>, always: string, write: (updates: VerdictUpdate[], crowned: Map<string, Map<string, string>>) => Promise<void>): Promise<VerdictUpdate[]> {
    const updates: VerdictUpdate[] = [];
    const folded = await this.#fold(reruns, { list: updates, always });
    await write(updates, await this.#crowned(updates, folded));
    await this.#refreshChampion(folded);
    this.#swap(folded, reruns);
    return updates;
  }

  /**
   * Judges and records one submission. Resolves once the result is on disk; `replayed` is true when
   * the same idempotency key was already accepted (the earlier result is returned, nothing is added).
   */
  async submit(member: MemberRow, submitted: SubmitResultRequest): Promise<{ record: ResultRecord; replayed: boolean }> {
    await this.#ready;
    // SQLite stores -0 as 0; judged as stored, so the live state is the state a restart rebuilds.
    const body = submitted.value === 0 ? { ...submitted, value: 0 } : submitted;
    const key = body.idempotency_key === undefined ? null : `${member.id}\0${body.idempotency_key}`;
    const earlier = key === null ? undefined : this.#idempotency.get(key);
    if (earlier !== undefined) {
      await this.#inflight.get(earlier);
      const row = await this.#store.getResult(earlier);
      if (!row) throw new Error(`result ${earlier} vanished from the store`);
      return { record: toResultRecord(row, member.name, this.#desk.view(row.id, await this.#memberNames())), replayed: true };
    }

    // After the replay check (a replay answers 200 whatever the quota) and before judging: a refusal records nothing.
    const bytes = resultBytes(body);
    this.#quotas.admit(member.id, this.#state.members.get(member.id), bytes);
    const row = this.#judge(member, body, bytes);
    const files = row.champion ? this.#championFiles.get(row.id) ?? null : null;
    const committed = this.#committer.add({ ...row, files });
    this.#inflight.set(row.id, committed);
    if (key !== null) this.#idempotency.set(key, row.id);
    // Refused: the committer's write has already started rebuilding the state from disk.
    await committed;
    this.#inflight.delete(row.id);
    const record = toResultRecord(row, member.name, this.#desk.view(row.id, new Map([[member.id, member.name]])));
    this.#bus.publish({ type: 'result', result: record });
    if (row.champion) this.#bus.publish({ type: 'champion', champion: toChampion(row, member.name, this.#desk.claim(row.id)) });
    return { record, replayed: false };
  }

  /** A verification job for `member`, or null (ClaimDesk.nextJob). */
  nextJob(member: MemberRow, hardware: Record<string, unknown> | undefined): Promise<VerificationJob | null> {
    return this.#desk.nextJob(member, hardware);
  }

  /** A re-run's report under a live lease held by `member` (ClaimDesk.report). */
  report(member: MemberRow, leaseId: string, body: RerunReport): Promise<{ response: RerunReportResponse; replayed: boolean }> {
    return this.#desk.report(member, leaseId, body);
  }

  /** Synchronous on purpose: each submission sees the state left by the one before it. */
  #judge(member: MemberRow, body: SubmitResultRequest, bytes: number): ResultRow {
    const spec = this.spec;
    const parent = body.parent ?? null;
    const base: Files | undefined = parent === null ? this.#original : this.#championFiles.get(parent);
    if (!base) {
      throw new KbError('unknown_parent', `parent "${parent}" is not a champion of this program; send the champion id you started from (GET /api/champion), or null for the program's original code`);
    }
    const files = applyEditablePatch(base, body.patch ?? '', spec.editable);
    const hash = codeHash(files, spec.editable);
    const seq = this.#state.seq + 1;
    const id = `r${seq}`;
    const verdict = applyResult(this.#state, { seq, id, member: member.id, value: body.value, crashed: body.crashed === true, codeHash: hash, bytes });
    this.#stateVersion++;
    if (verdict.verification !== 'none') this.#desk.add(id, { seq, memberId: member.id, claimed: body.value, verification: verdict.verification, effective: verdict.effectiveValue });

    const row: ResultRow = {
      seq,
      id,
      memberId: member.id,
      value: body.value,
      status: verdict.status,
      impact: verdict.impact,
      champion: verdict.champion,
      duplicateOf: verdict.duplicateOf,
      reason: verdict.reason,
      hypothesis: body.hypothesis ?? '',
      patch: body.patch ?? '',
      parent,
      codeHash: hash,
      output: body.output ?? '',
      hardware: body.hardware ?? {},
      durations: body.durations ?? {},
      idempotencyKey: body.idempotency_key ?? null,
      createdAt: this.#now(),
    };
    if (verdict.champion) {
      this.#championRow = row;
      this.#championName = member.name;
      this.#championFiles.set(row.id, editableFiles(files, spec.editable));
    }
    return row;
  }

  champion(): Champion | null {
    return this.#championRow ? toChampion(this.#championRow, this.#championName, this.#desk.claim(this.#championRow.id)) : null;
  }

  baseline(): number | null {
    return this.#state.baseline;
  }

  /** The value a challenger must beat now (champion, else baseline; the threshold under `threshold`). */
  reference(): number | null {
    return reference(this.spec, this.#state.champion?.value ?? null, this.#state.baseline);
  }

  /** The program's files with the champion's editable files in place. */
  championCode(): ProgramFile[] {
    const overlay = this.#championRow ? this.#championFiles.get(this.#championRow.id) : undefined;
    const out = new Map(this.program.files.map((f) => [f.path, f.content]));
    if (overlay) {
      for (const path of this.spec.editable) out.delete(path);
      for (const [path, content] of overlay) out.set(path, content);
    }
    return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([path, content]) => ({ path, content }));
  }

  /**
   * The program's editable files as the owner published them: what a worker preflights while the
   * champion is a claim not yet re-run (a claim whose code crashes everywhere must not make every
   * machine look broken, nor escape its re-runs).
   */
  originalCode(): ProgramFile[] {
    return [...this.#original].sort(([a], [b]) => a.localeCompare(b)).map(([path, content]) => ({ path, content }));
  }

  /**
   * Every result after `since`, in submission order: the whole log, for tests and tools in the
   * host's process. No route calls it (docs/design.md, "Listings at scale"): they read `page`.
   */
  async results(since = 0): Promise<ResultRecord[]> {
    const [rows, names] = await Promise.all([this.#store.listResults(since), this.#memberNames()]);
    return rows.map((r) => toResultRecord(r, names.get(r.memberId) ?? r.memberId, this.#desk.view(r.id, names)));
  }

  async payouts(): Promise<Payout[]> {
    return readModels.payouts(this.spec, this.#state, await this.#memberNames());
  }

  /** Members with their counts, as members see each other (no addresses). */
  async roster(): Promise<RosterEntry[]> {
    return readModels.roster(await this.#store.listMembers(), this.#state);
  }

  /** A member's claims that did not reproduce, for the owner's member list (ClaimDesk.verificationOf). */
  verificationOf(memberId: string): { not_reproduced: number; flagged: boolean } {
    return this.#desk.verificationOf(memberId);
  }

  /** The owner puts a pending claim back in the queue (ClaimDesk.requeue). */
  requeue(claimId: string): { claim: string; released: string | null } {
    return this.#desk.requeue(claimId);
  }

  /** A member's use of its quotas, for the owner's member list. */
  usage(memberId: string): MemberUsage {
    return this.#quotas.usage(memberId, this.#state.members.get(memberId));
  }

  /** What records show besides their rows: names, and each claim's verification. */
  async #context(): Promise<listings.RecordContext> {
    const names = await this.#memberNames();
    return { names, claim: (id) => this.#desk.view(id, names) };
  }

  /**
   * GET /api/results: one page (listings.ts); costs the page, never the log. With `q` or
   * `verification`, a searched page: at most SEARCH_SCAN_MAX results examined per request. With
   * `fields: 'summary'`, its rows less patch and output (ResultSummaryPage).
   */
  async page(query: ResultListQuery): Promise<ResultsResponse | ResultSummaryPage> {
    return listings.list(this.#store, query, await this.#context(), (id) => this.#desk.claim(id)?.verification ?? 'none');
  }

  /** GET /api/owner/results/:id: one full record; null when there is no such result. */
  async result(id: string): Promise<ResultRecord | null> {
    return listings.one(this.#store, id, await this.#context());
  }

  /** GET /api/owner/leaderboard: the best results, or each member's best, best first (kept by the fold). */
  async leaderboard(view: LeaderboardView, limit: number): Promise<ResultSummary[]> {
    const leaders = view === 'results' ? this.#state.leaders : rankMembers(this.#state.best, this.spec.direction);
    return listings.leaderboard(this.#store, leaders, await this.#context(), limit);
  }

  /** GET /api/owner/champions: the crownings, paged newest back (kept by the fold). */
  async champions(page: { limit: number; before: number | null }): Promise<ChampionsResponse> {
    return listings.champions(this.#store, this.#state.crownings, this.spec.direction, page, await this.#context());
  }

  /** GET /api/owner/series: the chart's downsampled series (series.ts). */
  async series(query: SeriesQuery): Promise<SeriesResponse> {
    // A claim that did not reproduce has no value anyone measured again: the chart leaves it out, as the leaderboard does.
    return series(this.#store, this.#state, query, await this.#memberNames(), (id, value) => {
      const claim = this.#desk.claim(id);
      if (claim === undefined) return value;
      return claim.verification === 'not_reproduced' ? null : claim.effective;
    });
  }

  /** GET /api/results/:id/lineage; null when there is no such result. */
  async lineage(id: string): Promise<LineageResponse | null> {
    const kept = this.#lineages.get(id);
    if (kept) return kept;
    const lineage = await listings.lineage(this.#store, id, await this.#context());
    if (lineage === null) return null;
    if (this.#lineages.size >= LINEAGES_KEPT) this.#lineages.delete(this.#lineages.keys().next().value!);
    this.#lineages.set(id, lineage);
    return lineage;
  }

  /** GET /api/status, serialised: built again only after the state or the members changed. */
  async statusJson(): Promise<string> {
    const key = `${this.#stateVersion}/${this.#store.membersVersion}`;
    if (this.#statusJson?.key !== key) this.#statusJson = { key, json: JSON.stringify(await this.status()) };
    return this.#statusJson.json;
  }

  /** GET /api/codes/:hash, from the fold's table of codes (no read of the log). */
  code(hash: string): CodeResponse {
    const result = this.#state.codes.get(hash) ?? null;
    return { code_hash: hash, tried: result !== null, result };
  }

  /** GET /api/status: a summary whose cost does not grow with the number of results. */
  async status(): Promise<StatusResponse> {
    // The members are read once: the leaderboard, roster and payouts all name them.
    const members = await this.#store.listMembers();
    const names = new Map(members.map((m) => [m.id, m.name]));
    const leaderboard = await listings.leaderboard(this.#store, this.#state.leaders, { names, claim: (id) => this.#desk.view(id, names) });
    const roster = readModels.roster(members, this.#state);
    const payouts = readModels.payouts(this.spec, this.#state, names);
    const pending = readModels.payouts(this.spec, this.#state, names, 'pending');
    return {
      program: { spec: this.spec, body: this.program.body },
      champion: this.champion(),
      baseline: this.#state.baseline,
      total: this.#state.seq,
      counts: { ...this.#state.counts },
      leaderboard,
      roster,
      payouts,
      // Only when something is pending: the same list twice says nothing.
      pending_payouts: JSON.stringify(pending) === JSON.stringify(payouts) ? [] : pending,
      noise: this.#desk.noise(),
      pool: this.spec.pool,
      token: this.spec.token,
    };
  }

  async #memberNames(): Promise<Map<string, string>> {
    return new Map((await this.#store.listMembers()).map((m) => [m.id, m.name]));
  }

  /** Waits for every accepted submission to be on disk (used on shutdown). */
  async drain(): Promise<void> {
    await this.#committer.drain();
  }
}

/** The stored verdict is the one the fold gives (the parts a re-run can change). */
function sameVerdict(stored: ResultFacts, verdict: FoldVerdict): boolean {
  return stored.status === verdict.status && stored.impact === verdict.impact && stored.champion === verdict.champion && stored.duplicateOf === verdict.duplicateOf;
}

/**
 * The verdict stored with a result is what its member was told; the fold must give it again on
 * every start-up. When it does not, the file was changed outside Cohort (or by a Cohort whose rules
 * differ): refuse to serve two truths.
 */
function checkStoredVerdict(stored: ResultFacts, verdict: FoldVerdict): void {
  if (
    stored.status === verdict.status &&
    stored.impact === verdict.impact &&
    stored.champion === verdict.champion &&
    stored.duplicateOf === verdict.duplicateOf
  ) return;
  const say = (v: { status: string; impact: number; champion: boolean; duplicateOf: string | null }): string =>
    `${v.status} (impact ${v.impact}${v.champion ? ', champion' : ''}${v.duplicateOf === null ? '' : `, duplicate of ${v.duplicateOf}`})`;
  throw new KbError(
    'kb_inconsistent',
    `result ${stored.id} is recorded as ${say(stored)} but the KB's rules give ${say(verdict)} when its results are judged again in order; the KB file was changed outside Cohort. Restore it from a backup.`,
  );
}
