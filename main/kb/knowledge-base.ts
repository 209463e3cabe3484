import type { Champion, CodeResponse, LineageResponse, MemberUsage, Payout, ProgramFile, ResultRecord, ResultsResponse, RosterEntry, StatusResponse, SubmitResultRequest, TaskSpec } from '../../protocol/index.ts';
import { ServiceError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { applyResult, emptyState, type FoldSpec, type FoldVerdict, type KbState } from '../rules/fold.ts';
import { reference } from '../rules/judge.ts';
import { isRefusedAfterFailure, type KbStore, type MemberRow, type NewResult, type ResultFacts, type ResultPageQuery, type ResultRow } from '../store/kb-store.ts';
import { GroupCommitter } from './group-commit.ts';
import { Quotas, resultBytes } from './quotas.ts';
import { codeHash } from '../../protocol/node/code-hash.ts';
import { applyEditablePatch, editableFiles, type Files } from './patch.ts';
import * as listings from './listings.ts';
import * as readModels from './read-models.ts';
import { toChampion, toResultRecord } from './records.ts';

/** What the KB needs of a loaded program. */
export interface ProgramSnapshot {
  spec: TaskSpec;
  body: string;
  files: readonly ProgramFile[];
}

/** A submission (or a start-up) the KB refuses; the message goes to the member or the owner. */
export class KbError extends ServiceError {
  override name = 'KbError';
}

/** Lineages kept built: the champions' and the latest results' are the ones asked for. */
const LINEAGES_KEPT = 1_024;

/** Results read per page at start-up: bounded memory whatever the size of the log. */
const LOAD_PAGE = 10_000;

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
    const { direction, accept, threshold, min_improvement, baseline } = this.spec;
    return { direction, accept, threshold, min_improvement, baseline };
  }

  /** Rebuilds the state from the store: the fold over every stored result, a page at a time. */
  async #load(): Promise<void> {
    const state = emptyState(this.#foldSpec());
    const idempotency = new Map<string, string>();
    for (let after = 0; ; ) {
      const page = await this.#store.listResultFacts(after, LOAD_PAGE);
      for (const r of page) {
        // A crash is a fact of the run, not a judgement: its stored status is the only record of it.
        const verdict = applyResult(state, { seq: r.seq, id: r.id, member: r.memberId, value: r.value, crashed: r.status === 'crash', codeHash: r.codeHash, bytes: r.bytes });
        checkStoredVerdict(r, verdict);
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
    // Swapped in at once: nothing judges against a half-built state.
    this.#state = state;
    this.#stateVersion++;
    this.#lineages.clear();
    this.#idempotency = idempotency;
    this.#inflight = new Map();
    this.#championFiles = files;
    this.#championRow = championRow;
    this.#championName = championRow ? (championMember?.name ?? championRow.memberId) : '';
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
      return { record: toResultRecord(row, member.name), replayed: true };
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
    const record = toResultRecord(row, member.name);
    this.#bus.publish({ type: 'result', result: record });
    if (row.champion) this.#bus.publish({ type: 'champion', champion: toChampion(row, member.name) });
    return { record, replayed: false };
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
    return this.#championRow ? toChampion(this.#championRow, this.#championName) : null;
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
   * Every result after `since`, in submission order: the whole log, for tests and tools in the
   * host's process. No route calls it (docs/design.md, "Listings at scale"): they read `page`.
   */
  async results(since = 0): Promise<ResultRecord[]> {
    const [rows, names] = await Promise.all([this.#store.listResults(since), this.#memberNames()]);
    return rows.map((r) => toResultRecord(r, names.get(r.memberId) ?? r.memberId));
  }

  async payouts(): Promise<Payout[]> {
    return readModels.payouts(this.spec, this.#state, await this.#memberNames());
  }

  /** Members with their counts, as members see each other (no addresses). */
  async roster(): Promise<RosterEntry[]> {
    return readModels.roster(await this.#store.listMembers(), this.#state);
  }

  /** A member's use of its quotas, for the owner's member list. */
  usage(memberId: string): MemberUsage {
    return this.#quotas.usage(memberId, this.#state.members.get(memberId));
  }

  /** GET /api/results: one page (listings.ts); costs the page, never the log. */
  async page(query: ResultPageQuery): Promise<ResultsResponse> {
    return listings.page(this.#store, query, await this.#memberNames());
  }

  /** GET /api/results/:id/lineage; null when there is no such result. */
  async lineage(id: string): Promise<LineageResponse | null> {
    const kept = this.#lineages.get(id);
    if (kept) return kept;
    const lineage = await listings.lineage(this.#store, id, await this.#memberNames());
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
    const leaderboard = await listings.leaderboard(this.#store, this.#state.leaders, names);
    const roster = readModels.roster(members, this.#state);
    const payouts = readModels.payouts(this.spec, this.#state, names);
    return {
      program: { spec: this.spec, body: this.program.body },
      champion: this.champion(),
      baseline: this.#state.baseline,
      total: this.#state.seq,
      counts: { ...this.#state.counts },
      leaderboard,
      roster,
      payouts,
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
