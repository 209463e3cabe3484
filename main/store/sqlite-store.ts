import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { JoinRequestRow, JoinStatus, KbStore, MemberRow, NewResult, RerunRow, ResultFacts, ResultPageQuery, ResultRow, ResultScanQuery, ResultStatus, ResultSummaryRow, ScannedRow, SeriesRow, VerdictUpdate } from './kb-store.ts';
import { MIGRATIONS, migrate, type Migration } from './migrations.ts';
import { HOST_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './wal-checkpointer.ts';
import { WriterThread } from './writer-thread.ts';

export { SchemaError } from './migrations.ts';

/**
 * SQLite implementation of the KB store, on `node:sqlite` (built into Node 24 and Electron 45, so
 * there is no native module to build per platform). WAL + synchronous=FULL: a committed
 * transaction is on disk when `COMMIT` returns, which is what lets the host acknowledge a result.
 * The calls are synchronous underneath; the async interface is the port a server database fills.
 */

type Row = Record<string, SQLInputValue>;

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toJoinRequest(r: Row): JoinRequestRow {
  return {
    id: str(r.id),
    deviceCodeHash: str(r.device_code_hash),
    userCode: str(r.user_code),
    status: str(r.status) as JoinStatus,
    clientId: str(r.client_id),
    name: str(r.name),
    hostname: str(r.hostname),
    os: str(r.os),
    gpu: str(r.gpu),
    appVersion: str(r.app_version),
    ip: str(r.ip),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    interval: num(r.interval),
    lastPollAt: numOrNull(r.last_poll_at),
    decidedAt: numOrNull(r.decided_at),
    memberId: strOrNull(r.member_id),
    gpuFacts: r.gpu_count === null || r.gpu_count === undefined ? null : { gpu_model: str(r.gpu_model), gpu_count: num(r.gpu_count), gpu_memory_mb: num(r.gpu_memory_mb) },
  };
}

function toMember(r: Row): MemberRow {
  return {
    id: str(r.id),
    name: str(r.name),
    hostname: str(r.hostname),
    os: str(r.os),
    gpu: str(r.gpu),
    appVersion: str(r.app_version),
    ip: str(r.ip),
    tokenHash: str(r.token_hash),
    joinRequestId: strOrNull(r.join_request_id),
    joinedAt: num(r.joined_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

/**
 * The results table's columns, in the order every result read selects them: rows come back as
 * arrays (`setReturnArrays`), which skips building an object with 18 named properties per row in
 * SQLite's binding and then another here (a third of a page of 100 results' time in `npm run bench`).
 */
const RESULT_COLUMNS = `seq, id, member_id, value, status, impact, champion, duplicate_of, reason, hypothesis, patch, parent,
  code_hash, output, hardware, durations, idempotency_key, created_at`;
const resultColumns = (table: string): string => RESULT_COLUMNS.split(',').map((c) => `${table}.${c.trim()}`).join(', ');

type ResultArray = [number, string, string, number | null, ResultStatus, number, number, string | null, string, string, string, string | null,
  string, string, string, string, string | null, number];

/** The columns a full row and a summary row share (all but patch and output, at the same places). */
function commonFields(r: ResultArray | SummaryArray): Omit<ResultRow, 'patch' | 'output'> {
  return {
    seq: r[0],
    id: r[1],
    memberId: r[2],
    value: r[3],
    status: r[4],
    impact: r[5],
    champion: r[6] === 1,
    duplicateOf: r[7],
    reason: r[8],
    hypothesis: r[9],
    parent: r[11],
    codeHash: r[12],
    hardware: JSON.parse(r[14]) as Record<string, unknown>,
    durations: JSON.parse(r[15]) as Record<string, number>,
    idempotencyKey: r[16],
    createdAt: r[17],
  };
}

/** The table is STRICT: each column is already its JS type; only the JSON columns need parsing. */
function toResult(r: ResultArray): ResultRow {
  return { ...commonFields(r), patch: r[10], output: r[13] };
}

/**
 * RESULT_COLUMNS with the sizes of patch and output in their places (UTF-8 bytes, as
 * Buffer.byteLength counts them). octet_length of a TEXT column is read from the record's header,
 * without the value's overflow pages: a page of 500 rows with 500 KB patches takes 0.6 ms this
 * way, 1.1 s selecting the patches and 260 ms with length() (SQLite 3.53, node:sqlite).
 */
const SUMMARY_COLUMNS = `seq, id, member_id, value, status, impact, champion, duplicate_of, reason, hypothesis, octet_length(patch), parent,
  code_hash, octet_length(output), hardware, durations, idempotency_key, created_at`;

type SummaryArray = [number, string, string, number | null, ResultStatus, number, number, string | null, string, string, number, string | null,
  string, number, string, string, string | null, number];

function toSummary(r: SummaryArray): ResultSummaryRow {
  return { ...commonFields(r), patchBytes: r[10], outputBytes: r[13] };
}

const INSERT_RESULT = `INSERT INTO results (seq, id, member_id, value, status, impact, champion, duplicate_of, reason, hypothesis, patch,
    parent, code_hash, output, hardware, durations, idempotency_key, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_CHAMPION_FILE = 'INSERT INTO champion_files (result_id, path, content) VALUES (?, ?, ?)';
const INSERT_RERUN = `INSERT INTO reruns (seq, id, claim_id, member_id, value, hardware, output, durations, idempotency_key, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_VERDICT = 'UPDATE results SET status = ?, impact = ?, champion = ?, duplicate_of = ?, reason = ? WHERE id = ?';

/** Verdicts written over the stored ones, and the files of results they crowned. */
function verdictSteps(updates: readonly VerdictUpdate[], championFiles?: ReadonlyMap<string, ReadonlyMap<string, string>>): { sql: string; rows: SQLInputValue[][] }[] {
  const files: SQLInputValue[][] = [];
  for (const [id, map] of championFiles ?? []) for (const [path, content] of map) files.push([id, path, content]);
  return [
    { sql: UPDATE_VERDICT, rows: updates.map((u) => [u.status, u.impact, u.champion ? 1 : 0, u.duplicateOf, u.reason, u.id]) },
    // OR IGNORE: a result crowned before (then dethroned, then crowned again) keeps the files it has.
    { sql: 'INSERT OR IGNORE INTO champion_files (result_id, path, content) VALUES (?, ?, ?)', rows: files },
  ];
}

/** The WHERE of a page (member, status, cursor), the same for a page and a scan. */
function pageFilters(q: ResultPageQuery): { where: string; args: SQLInputValue[] } {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (q.member !== undefined) {
    where.push('member_id = ?');
    args.push(q.member);
  }
  if (q.status !== undefined) {
    where.push('status = ?');
    args.push(q.status);
  }
  if (q.cursor !== null) {
    where.push(q.order === 'asc' ? 'seq > ?' : 'seq < ?');
    args.push(q.cursor);
  }
  return { where: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', args };
}

export class SqliteKbStore implements KbStore {
  readonly path: string;
  #db: DatabaseSync;
  /** Prepared once, reused: preparing is a measurable share of a request's time under load. */
  #statements = new Map<string, StatementSync>();
  /**
   * The members table, read once and kept until this store writes to it (only this store does):
   * every listing names members, and re-reading 200 rows per request was a third of a status or a
   * page's CPU time in `npm run bench`.
   */
  #members: MemberRow[] | null = null;
  #membersVersion = 0;

  get membersVersion(): number {
    return this.#membersVersion;
  }

  /** Results are written, and the WAL copied back, off the event loop (writer-thread.ts, wal-checkpointer.ts); not for `:memory:`. */
  #writer: WriterThread | null;
  #checkpointer: WalCheckpointer | null;

  private constructor(path: string, db: DatabaseSync, threads: { writer: WriterThread; checkpointer: WalCheckpointer } | null) {
    this.path = path;
    this.#db = db;
    this.#writer = threads?.writer ?? null;
    this.#checkpointer = threads?.checkpointer ?? null;
  }

  /** The writer thread keeps batches in order and refuses those sent after one that failed (writer-thread.ts). */
  get writesInFlight(): number {
    return this.#writer ? 2 : 1;
  }

  /** The background checkpointer, for tests. */
  get checkpointer(): WalCheckpointer | null {
    return this.#checkpointer;
  }

  /**
   * Opens (creating when needed) the KB file and brings its schema up to date (migrations.ts).
   * Refuses a file written by a newer Cohort. `migrations` is for tests.
   */
  static open(path: string, opts: { migrations?: readonly Migration[]; onMigrate?: (m: Migration) => void } = {}): SqliteKbStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5_000 });
    db.exec('PRAGMA journal_mode = WAL');
    // FULL: WAL is fsynced at every commit, so an acknowledged result survives power loss.
    db.exec('PRAGMA synchronous = FULL');
    // 64 MiB of page cache (SQLite's default is 2 MiB): with a million results each insert touches
    // a leaf of every index, and a durable POST re-read those pages from the OS on every commit.
    db.exec('PRAGMA cache_size = -65536');
    try {
      migrate(db, path, opts.migrations ?? MIGRATIONS, opts.onMigrate);
    } catch (err) {
      db.close();
      throw err;
    }
    if (path === ':memory:') return new SqliteKbStore(path, db, null);
    db.exec(`PRAGMA wal_autocheckpoint = ${HOST_AUTOCHECKPOINT_PAGES}`);
    return new SqliteKbStore(path, db, { writer: new WriterThread(path), checkpointer: new WalCheckpointer(path) });
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  /** Results read by `sql`, which selects RESULT_COLUMNS (in that order). */
  #results(sql: string, ...args: SQLInputValue[]): ResultRow[] {
    const statement = this.#sql(sql);
    statement.setReturnArrays(true);
    return (statement.all(...args) as unknown as ResultArray[]).map(toResult);
  }

  /** Summaries read by `sql`, which selects SUMMARY_COLUMNS (in that order). */
  #summaries(sql: string, ...args: SQLInputValue[]): ResultSummaryRow[] {
    const statement = this.#sql(sql);
    statement.setReturnArrays(true);
    return (statement.all(...args) as unknown as SummaryArray[]).map(toSummary);
  }

  async close(): Promise<void> {
    // The threads' connections first (the writer finishes what was sent): the last connection to
    // close copies what is left of the WAL back and removes it.
    await this.#writer?.close();
    await this.#checkpointer?.close();
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  /** Every write ends here: the checkpointer copies it into the database file shortly after. */
  #wrote(): void {
    this.#checkpointer?.wrote();
  }

  #tx<T>(work: () => T): T {
    // IMMEDIATE takes the write lock up front, so a second process cannot interleave.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = work();
      this.#db.exec('COMMIT');
      this.#wrote();
      return out;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async getMeta(key: string): Promise<string | null> {
    const row = this.#sql('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row ? str(row.value) : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    this.#wrote();
  }

  async insertJoinRequest(r: JoinRequestRow): Promise<void> {
    this.#sql(
        `INSERT INTO join_requests (id, device_code_hash, user_code, status, client_id, name, hostname, os, gpu, app_version, ip,
           created_at, expires_at, interval, last_poll_at, decided_at, member_id, gpu_model, gpu_count, gpu_memory_mb)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.deviceCodeHash, r.userCode, r.status, r.clientId, r.name, r.hostname, r.os, r.gpu, r.appVersion, r.ip,
        r.createdAt, r.expiresAt, r.interval, r.lastPollAt, r.decidedAt, r.memberId,
        r.gpuFacts?.gpu_model ?? null, r.gpuFacts?.gpu_count ?? null, r.gpuFacts?.gpu_memory_mb ?? null);
    this.#wrote();
  }

  async getJoinRequestByDeviceHash(hash: string): Promise<JoinRequestRow | null> {
    const row = this.#sql('SELECT * FROM join_requests WHERE device_code_hash = ?').get(hash) as Row | undefined;
    return row ? toJoinRequest(row) : null;
  }

  async getJoinRequestByUserCode(userCode: string): Promise<JoinRequestRow | null> {
    const row = this.#sql('SELECT * FROM join_requests WHERE user_code = ? ORDER BY created_at DESC LIMIT 1')
      .get(userCode) as Row | undefined;
    return row ? toJoinRequest(row) : null;
  }

  async listJoinRequests(): Promise<JoinRequestRow[]> {
    return (this.#sql('SELECT * FROM join_requests ORDER BY created_at').all() as Row[]).map(toJoinRequest);
  }

  async listPendingJoinRequests(now: number): Promise<JoinRequestRow[]> {
    return (this.#sql("SELECT * FROM join_requests WHERE status = 'pending' AND expires_at > ? ORDER BY created_at").all(now) as Row[]).map(toJoinRequest);
  }

  async expireJoinRequest(id: string, at: number): Promise<boolean> {
    const res = this.#sql("UPDATE join_requests SET expires_at = ? WHERE id = ? AND status = 'pending' AND expires_at > ?").run(at, id, at);
    this.#wrote();
    return Number(res.changes) === 1;
  }

  async transitionJoinRequest(id: string, from: JoinStatus, to: JoinStatus, at: number): Promise<boolean> {
    const res = this.#sql('UPDATE join_requests SET status = ?, decided_at = ? WHERE id = ? AND status = ?')
      .run(to, at, id, from);
    this.#wrote();
    return Number(res.changes) === 1;
  }

  async recordPoll(id: string, at: number, interval: number): Promise<void> {
    this.#sql('UPDATE join_requests SET last_poll_at = ?, interval = ? WHERE id = ?').run(at, interval, id);
    this.#wrote();
  }

  async consumeJoinRequest(requestId: string, m: MemberRow): Promise<boolean> {
    this.#forgetMembers();
    return this.#tx(() => {
      const res = this.#sql("UPDATE join_requests SET status = 'consumed', member_id = ? WHERE id = ? AND status = 'approved'")
        .run(m.id, requestId);
      if (Number(res.changes) !== 1) return false;
      this.#insertMember(m);
      return true;
    });
  }

  #insertMember(m: MemberRow): void {
    this.#sql(
        `INSERT INTO members (id, name, hostname, os, gpu, app_version, ip, token_hash, join_request_id, joined_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(m.id, m.name, m.hostname, m.os, m.gpu, m.appVersion, m.ip, m.tokenHash, m.joinRequestId, m.joinedAt, m.revokedAt);
  }

  async getMemberByTokenHash(hash: string): Promise<MemberRow | null> {
    const row = this.#sql('SELECT * FROM members WHERE token_hash = ?').get(hash) as Row | undefined;
    return row ? toMember(row) : null;
  }

  async getMember(id: string): Promise<MemberRow | null> {
    const row = this.#sql('SELECT * FROM members WHERE id = ?').get(id) as Row | undefined;
    return row ? toMember(row) : null;
  }

  #forgetMembers(): void {
    this.#members = null;
    this.#membersVersion++;
  }

  async listMembers(): Promise<MemberRow[]> {
    this.#members ??= (this.#sql('SELECT * FROM members ORDER BY joined_at, id').all() as Row[]).map(toMember);
    return this.#members.map((m) => ({ ...m }));
  }

  async revokeMember(id: string, at: number): Promise<boolean> {
    this.#forgetMembers();
    const res = this.#sql('UPDATE members SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    this.#wrote();
    return Number(res.changes) === 1;
  }

  async appendResults(batch: readonly NewResult[]): Promise<void> {
    if (batch.length === 0) return;
    const rows: SQLInputValue[][] = [];
    const files: SQLInputValue[][] = [];
    for (const r of batch) {
      rows.push([r.seq, r.id, r.memberId, r.value, r.status, r.impact, r.champion ? 1 : 0, r.duplicateOf, r.reason, r.hypothesis,
        r.patch, r.parent, r.codeHash, r.output, JSON.stringify(r.hardware), JSON.stringify(r.durations), r.idempotencyKey, r.createdAt]);
      if (r.champion && r.files) for (const [path, content] of r.files) files.push([r.id, path, content]);
    }
    await this.#write([{ sql: INSERT_RESULT, rows }, { sql: INSERT_CHAMPION_FILE, rows: files }]);
  }

  async listReruns(): Promise<RerunRow[]> {
    const rows = this.#sql('SELECT seq, id, claim_id, member_id, value, hardware, output, durations, idempotency_key, created_at FROM reruns ORDER BY seq').all() as Row[];
    return rows.map((r) => ({
      seq: num(r.seq),
      id: str(r.id),
      claimId: str(r.claim_id),
      memberId: str(r.member_id),
      value: numOrNull(r.value),
      hardware: JSON.parse(str(r.hardware)) as Record<string, unknown>,
      output: str(r.output),
      durations: JSON.parse(str(r.durations)) as Record<string, number>,
      idempotencyKey: strOrNull(r.idempotency_key),
      createdAt: num(r.created_at),
    }));
  }

  async appendRerun(r: RerunRow, updates: readonly VerdictUpdate[], championFiles?: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<void> {
    const rerun = [[r.seq, r.id, r.claimId, r.memberId, r.value, JSON.stringify(r.hardware), r.output, JSON.stringify(r.durations), r.idempotencyKey, r.createdAt]];
    await this.#write([{ sql: INSERT_RERUN, rows: rerun }, ...verdictSteps(updates, championFiles)]);
  }

  async updateVerdicts(updates: readonly VerdictUpdate[], championFiles?: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<void> {
    await this.#write(verdictSteps(updates, championFiles));
  }

  /** One transaction: on the writer thread when there is one. */
  async #write(steps: { sql: string; rows: SQLInputValue[][] }[]): Promise<void> {
    if (this.#writer) {
      await this.#writer.transaction(steps);
      this.#wrote();
      return;
    }
    this.#tx(() => {
      for (const step of steps) {
        const statement = this.#sql(step.sql);
        for (const args of step.rows) statement.run(...args);
      }
    });
  }

  async listResults(since = 0): Promise<ResultRow[]> {
    return this.#results(`SELECT ${RESULT_COLUMNS} FROM results WHERE seq > ? ORDER BY seq`, since);
  }

  async listResultFacts(after: number, limit: number): Promise<ResultFacts[]> {
    // Start-up reads every result through here: rows as arrays (no object per row from SQLite), and
    // the columns are already the right JS types (STRICT table), so no conversions. Together they
    // took opening 200 000 results from ~2.0 s to 0.6–0.9 s (docs/benchmarks.md, "Opening a large KB").
    const statement = this.#sql(
      // octet_length counts UTF-8 bytes (the file's encoding) as Buffer.byteLength does on the live path.
      `SELECT seq, id, member_id, value, status, impact, champion, duplicate_of, code_hash, idempotency_key,
              octet_length(patch) + octet_length(output) + octet_length(hypothesis) AS bytes
       FROM results WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    statement.setReturnArrays(true);
    const rows = statement.all(after, limit) as unknown as [number, string, string, number | null, ResultStatus, number, number, string | null, string, string | null, number][];
    const out = new Array<ResultFacts>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = { seq: r[0], id: r[1], memberId: r[2], value: r[3], status: r[4], impact: r[5], champion: r[6] === 1, duplicateOf: r[7], codeHash: r[8], idempotencyKey: r[9], bytes: r[10] };
    }
    return out;
  }

  async listResultPage(q: ResultPageQuery): Promise<ResultRow[]> {
    const { where, args } = pageFilters(q);
    // At most 8 distinct texts (member?, status?, cursor?, order), each prepared once.
    const sql = `SELECT ${RESULT_COLUMNS} FROM results${where} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
    return this.#results(sql, ...args, q.limit);
  }

  async listResultSummaryPage(q: ResultPageQuery): Promise<ResultSummaryRow[]> {
    const { where, args } = pageFilters(q);
    return this.#summaries(`SELECT ${SUMMARY_COLUMNS} FROM results${where} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`, ...args, q.limit);
  }

  async scanResults(q: ResultScanQuery): Promise<ScannedRow[]> {
    const { where, args } = pageFilters(q);
    // LIKE with the pattern's own % and _ escaped: a substring, ASCII case-insensitive (sqlite.org/lang_expr.html#like).
    const match = q.q === undefined ? '1' : "hypothesis LIKE ? ESCAPE '\\'";
    const statement = this.#sql(`SELECT seq, id, ${match} FROM results${where} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`);
    statement.setReturnArrays(true);
    const pattern = q.q === undefined ? [] : [`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`];
    const rows = statement.all(...pattern, ...args, q.scan) as unknown as [number, string, number][];
    return rows.map((r) => ({ seq: r[0], id: r[1], match: r[2] === 1 }));
  }

  async getResultsBySeq(seqs: readonly number[]): Promise<ResultRow[]> {
    if (seqs.length === 0) return [];
    // One statement whatever the count: the list rides as JSON, each element a rowid lookup.
    return this.#results(`SELECT ${RESULT_COLUMNS} FROM results WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`, JSON.stringify(seqs));
  }

  async getResultSummariesBySeq(seqs: readonly number[]): Promise<ResultSummaryRow[]> {
    if (seqs.length === 0) return [];
    return this.#summaries(`SELECT ${SUMMARY_COLUMNS} FROM results WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`, JSON.stringify(seqs));
  }

  async listSeriesRows(seqs: readonly number[]): Promise<SeriesRow[]> {
    if (seqs.length === 0) return [];
    const statement = this.#sql('SELECT seq, id, member_id, value, status, champion, created_at FROM results WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq');
    statement.setReturnArrays(true);
    const rows = statement.all(JSON.stringify(seqs)) as unknown as [number, string, string, number | null, ResultStatus, number, number][];
    return rows.map((r) => ({ seq: r[0], id: r[1], memberId: r[2], value: r[3], status: r[4], champion: r[5] === 1, createdAt: r[6] }));
  }

  async resultTime(seq: number): Promise<number | null> {
    const row = this.#sql('SELECT created_at FROM results WHERE seq = ?').get(seq) as Row | undefined;
    return row ? num(row.created_at) : null;
  }

  async countStatus(status: ResultStatus, after: number, through: number): Promise<number> {
    const row = this.#sql('SELECT count(*) AS n FROM results WHERE status = ? AND seq > ? AND seq <= ?').get(status, after, through) as Row;
    return num(row.n);
  }

  async listLineage(id: string, maxSteps: number): Promise<ResultRow[]> {
    // One statement walks the parent links (an index lookup per step, in SQLite, not a round trip
    // per step from JS); `depth` bounds it, so a damaged file with a cycle cannot loop.
    return this.#results(
      `WITH RECURSIVE chain (id, depth) AS (
         SELECT ?, 1
         UNION ALL
         SELECT r.parent, chain.depth + 1 FROM chain JOIN results r ON r.id = chain.id
         WHERE r.parent IS NOT NULL AND chain.depth < ?
       )
       SELECT ${resultColumns('results')} FROM chain JOIN results ON results.id = chain.id ORDER BY chain.depth`,
      id,
      maxSteps,
    );
  }

  async getResult(id: string): Promise<ResultRow | null> {
    return this.#results(`SELECT ${RESULT_COLUMNS} FROM results WHERE id = ?`, id)[0] ?? null;
  }

  async listChampionFiles(): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (const row of this.#sql('SELECT result_id, path, content FROM champion_files ORDER BY result_id, path').all() as Row[]) {
      const id = str(row.result_id);
      let files = out.get(id);
      if (!files) out.set(id, (files = new Map()));
      files.set(str(row.path), str(row.content));
    }
    return out;
  }
}
