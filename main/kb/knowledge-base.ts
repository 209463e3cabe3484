import type { Champion, Payout, ProgramFile, ResultRecord, RosterEntry, StatusResponse, SubmitResultRequest, TaskSpec } from '../../protocol/index.ts';
import { ServiceError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { judge, reference } from '../rules/judge.ts';
import { computePayouts } from '../rules/payouts.ts';
import type { KbStore, MemberRow, NewResult, ResultRow } from '../store/kb-store.ts';
import { GroupCommitter } from './group-commit.ts';
import { codeHash } from '../../protocol/node/code-hash.ts';
import { applyEditablePatch, editableFiles, type Files } from './patch.ts';
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

interface Pending {
  id: string;
  committed: Promise<void>;
}

/**
 * The program's knowledge base: judges submissions by the KB rules, keeps the champion, and makes
 * every acknowledged result durable before answering (group commit: the submissions that arrive
 * together are written in one transaction, one fsync).
 *
 * Judging happens in memory, in arrival order, the moment a submission arrives; the state it needs
 * (champion, baseline, code hashes, idempotency keys, champion files) is rebuilt from the store on
 * open, so the store stays the single source of truth.
 */
export class KnowledgeBase {
  readonly program: ProgramSnapshot;
  #store: KbStore;
  #bus: EventBus;
  #now: () => number;
  #committer: GroupCommitter<NewResult>;

  #seq = 0;
  #champion: ResultRow | null = null;
  #championName = '';
  #baseline: number | null = null;
  #codeHashes = new Map<string, string>();
  #idempotency = new Map<string, Pending>();
  #championFiles = new Map<string, Map<string, string>>();
  #ledger: { memberId: string; status: ResultRow['status']; impact: number }[] = [];
  #original: Map<string, string>;
  /** Resolved while state is consistent with the store; replaced while rebuilding after a failed commit. */
  #ready: Promise<void> = Promise.resolve();

  private constructor(store: KbStore, program: ProgramSnapshot, bus: EventBus, now: () => number) {
    this.#store = store;
    this.program = program;
    this.#bus = bus;
    this.#now = now;
    this.#original = editableFiles(new Map(program.files.map((f) => [f.path, f.content])), program.spec.editable);
    this.#committer = new GroupCommitter((batch) => this.#store.appendResults(batch));
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
    if (stored !== null && stored !== rules && (await this.#store.listResults()).length > 0) {
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

  get spec(): TaskSpec {
    return this.program.spec;
  }

  async #load(): Promise<void> {
    const [rows, files, members] = await Promise.all([this.#store.listResults(), this.#store.listChampionFiles(), this.#store.listMembers()]);
    const names = new Map(members.map((m) => [m.id, m.name]));
    this.#seq = 0;
    this.#champion = null;
    this.#baseline = this.spec.baseline ?? null;
    this.#codeHashes.clear();
    this.#idempotency.clear();
    this.#championFiles = files;
    this.#ledger = [];
    for (const r of rows) {
      this.#seq = Math.max(this.#seq, r.seq);
      if (r.status !== 'crash' && r.status !== 'duplicate' && !this.#codeHashes.has(r.codeHash)) this.#codeHashes.set(r.codeHash, r.id);
      if (this.#baseline === null && r.status !== 'crash' && r.value !== null) this.#baseline = r.value;
      if (r.champion) {
        this.#champion = r;
        this.#championName = names.get(r.memberId) ?? r.memberId;
      }
      if (r.idempotencyKey !== null) this.#idempotency.set(`${r.memberId}\0${r.idempotencyKey}`, { id: r.id, committed: Promise.resolve() });
      this.#ledger.push({ memberId: r.memberId, status: r.status, impact: r.impact });
    }
  }

  /**
   * Judges and records one submission. Resolves once the result is on disk; `replayed` is true when
   * the same idempotency key was already accepted (the earlier result is returned, nothing is added).
   */
  async submit(member: MemberRow, body: SubmitResultRequest): Promise<{ record: ResultRecord; replayed: boolean }> {
    await this.#ready;
    const key = body.idempotency_key === undefined ? null : `${member.id}\0${body.idempotency_key}`;
    const earlier = key === null ? undefined : this.#idempotency.get(key);
    if (earlier) {
      await earlier.committed;
      const row = await this.#store.getResult(earlier.id);
      if (!row) throw new Error(`result ${earlier.id} vanished from the store`);
      return { record: toResultRecord(row, member.name), replayed: true };
    }

    const row = this.#judge(member, body);
    const files = row.champion ? this.#championFiles.get(row.id) ?? null : null;
    const committed = this.#committer.add({ ...row, files });
    if (key !== null) this.#idempotency.set(key, { id: row.id, committed });
    try {
      await committed;
    } catch (err) {
      // The store refused the batch: forget what was judged in memory and start again from disk.
      this.#ready = this.#load();
      throw err;
    }
    const record = toResultRecord(row, member.name);
    this.#bus.publish({ type: 'result', result: record });
    if (row.champion) this.#bus.publish({ type: 'champion', champion: toChampion(row, member.name) });
    return { record, replayed: false };
  }

  /** Synchronous on purpose: each submission sees the state left by the one before it. */
  #judge(member: MemberRow, body: SubmitResultRequest): ResultRow {
    const spec = this.spec;
    const parent = body.parent ?? null;
    const base: Files | undefined = parent === null ? this.#original : this.#championFiles.get(parent);
    if (!base) {
      throw new KbError('unknown_parent', `parent "${parent}" is not a champion of this program; send the champion id you started from (GET /api/champion), or null for the program's original code`);
    }
    const files = applyEditablePatch(base, body.patch ?? '', spec.editable);
    const hash = codeHash(files, spec.editable);
    const crashed = body.crashed === true || body.value === null;
    const duplicateOf = crashed ? null : (this.#codeHashes.get(hash) ?? null);
    const verdict = judge({
      spec,
      champion: this.#champion?.value ?? null,
      baseline: this.#baseline,
      value: body.value,
      crashed,
      duplicateOf,
    });

    const seq = ++this.#seq;
    const row: ResultRow = {
      seq,
      id: `r${seq}`,
      memberId: member.id,
      value: body.value,
      status: verdict.status,
      impact: verdict.impact,
      champion: verdict.champion,
      duplicateOf,
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
    if (!crashed && duplicateOf === null) this.#codeHashes.set(hash, row.id);
    if (verdict.setsBaseline && body.value !== null) this.#baseline = body.value;
    if (verdict.champion) {
      this.#champion = row;
      this.#championName = member.name;
      this.#championFiles.set(row.id, editableFiles(files, spec.editable));
    }
    this.#ledger.push({ memberId: member.id, status: row.status, impact: row.impact });
    return row;
  }

  champion(): Champion | null {
    return this.#champion ? toChampion(this.#champion, this.#championName) : null;
  }

  baseline(): number | null {
    return this.#baseline;
  }

  /** The value a challenger must beat now (champion, else baseline; the threshold under `threshold`). */
  reference(): number | null {
    return reference(this.spec, this.#champion?.value ?? null, this.#baseline);
  }

  /** The program's files with the champion's editable files in place. */
  championCode(): ProgramFile[] {
    const overlay = this.#champion ? this.#championFiles.get(this.#champion.id) : undefined;
    const out = new Map(this.program.files.map((f) => [f.path, f.content]));
    if (overlay) {
      for (const path of this.spec.editable) out.delete(path);
      for (const [path, content] of overlay) out.set(path, content);
    }
    return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([path, content]) => ({ path, content }));
  }

  /** Results in submission order; `since` skips those up to that sequence number. */
  async results(since = 0): Promise<ResultRecord[]> {
    const [rows, names] = await Promise.all([this.#store.listResults(since), this.#memberNames()]);
    return rows.map((r) => toResultRecord(r, names.get(r.memberId) ?? r.memberId));
  }

  async payouts(): Promise<Payout[]> {
    const names = await this.#memberNames();
    const lines = computePayouts(
      this.spec,
      this.#ledger.map((l) => ({ member: l.memberId, status: l.status, impact: l.impact })),
      this.#champion?.memberId ?? null,
    );
    return lines.map((l) => ({ member: l.member, name: names.get(l.member) ?? l.member, impact: l.impact, amount: l.amount }));
  }

  /** Members with their counts, as members see each other (no addresses). */
  async roster(): Promise<RosterEntry[]> {
    const members = await this.#store.listMembers();
    const counts = new Map<string, { results: number; keeps: number }>();
    for (const l of this.#ledger) {
      const c = counts.get(l.memberId) ?? { results: 0, keeps: 0 };
      c.results += 1;
      if (l.status === 'keep') c.keeps += 1;
      counts.set(l.memberId, c);
    }
    return members
      .filter((m) => m.revokedAt === null)
      .map((m) => ({ id: m.id, name: m.name, gpu: m.gpu, joined_at: new Date(m.joinedAt).toISOString(), ...(counts.get(m.id) ?? { results: 0, keeps: 0 }) }));
  }

  /** GET /api/status: everything a member may see of the program at once. */
  async status(): Promise<StatusResponse> {
    const [results, roster, payouts] = await Promise.all([this.results(), this.roster(), this.payouts()]);
    return {
      program: { spec: this.spec, body: this.program.body },
      champion: this.champion(),
      baseline: this.#baseline,
      results,
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
