import type { DatabaseSync } from 'node:sqlite';
import { ResultStatus } from '../../protocol/results.ts';
import { StoredJoinStatus } from './kb-store.ts';

/**
 * The KB file's schema, as numbered migrations. `PRAGMA user_version` holds the number of the last
 * one applied; on open, every later one runs, each in its own transaction together with the bump of
 * `user_version`, so a migration that fails leaves the file exactly at its previous version.
 *
 * A migration, once released, is history: files out there were built by it. Never edit one; add
 * the next. SQLite cannot alter a CHECK constraint in place, so a new status in `protocol/` needs a
 * migration that rebuilds its table (create the new table, copy, drop, rename: sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"); migrations.test.ts fails until there is one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: DatabaseSync): void;
  /**
   * The migration rebuilds a table that others reference: it runs with foreign key enforcement off
   * (a DROP TABLE would otherwise check every reference) and is checked with `foreign_key_check`
   * before it commits (sqlite.org/lang_altertable.html, steps 1, 10 and 12).
   */
  rebuildsReferencedTable?: boolean;
}

/** A CHECK-able SQL list of an enum's values: `'keep','discard'`. */
function sqlList(values: readonly string[]): string {
  for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new Error(`not a plain status name: ${JSON.stringify(v)}`);
  return values.map((v) => `'${v}'`).join(',');
}

/**
 * Schema 1: the schema as the first released Cohort wrote it (files it made say user_version 1).
 * `IF NOT EXISTS` is kept as it was, so a file from before user_version was set (0) is recognised.
 */
const SCHEMA_1 = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS join_requests (
  id               TEXT PRIMARY KEY,
  device_code_hash TEXT NOT NULL UNIQUE,
  user_code        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN (${sqlList(StoredJoinStatus.options)})),
  client_id        TEXT NOT NULL,
  name             TEXT NOT NULL,
  hostname         TEXT NOT NULL,
  os               TEXT NOT NULL,
  gpu              TEXT NOT NULL,
  app_version      TEXT NOT NULL,
  ip               TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  interval         INTEGER NOT NULL,
  last_poll_at     INTEGER,
  decided_at       INTEGER,
  member_id        TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS join_requests_user_code ON join_requests (user_code, created_at);
CREATE TABLE IF NOT EXISTS members (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  hostname        TEXT NOT NULL,
  os              TEXT NOT NULL,
  gpu             TEXT NOT NULL,
  app_version     TEXT NOT NULL,
  ip              TEXT NOT NULL,
  token_hash      TEXT NOT NULL UNIQUE,
  join_request_id TEXT,
  joined_at       INTEGER NOT NULL,
  revoked_at      INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS results (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  member_id       TEXT NOT NULL REFERENCES members (id),
  value           REAL,
  status          TEXT NOT NULL CHECK (status IN (${sqlList(ResultStatus.options)})),
  impact          REAL NOT NULL,
  champion        INTEGER NOT NULL,
  duplicate_of    TEXT,
  reason          TEXT NOT NULL,
  hypothesis      TEXT NOT NULL,
  patch           TEXT NOT NULL,
  parent          TEXT,
  code_hash       TEXT NOT NULL,
  output          TEXT NOT NULL,
  hardware        TEXT NOT NULL,
  durations       TEXT NOT NULL,
  idempotency_key TEXT,
  created_at      INTEGER NOT NULL,
  UNIQUE (member_id, idempotency_key)
) STRICT;
CREATE TABLE IF NOT EXISTS champion_files (
  result_id TEXT NOT NULL REFERENCES results (id),
  path      TEXT NOT NULL,
  content   TEXT NOT NULL,
  PRIMARY KEY (result_id, path)
) STRICT;
`;

/**
 * Schema 2: indexes for the listings (docs/design.md, "Listings at scale"): a page of one member's
 * results, of one status, and the leaderboard (the best judged values), each read in O(log n + page)
 * whatever the size of the log. A page of one member's results of one status walks that member's
 * results: every index is paid for by every submission (a third index cost ~15% of the durable
 * POST, docs/benchmarks.md), and the combination is rare. The leaderboard's index is partial: crashes have no
 * value and duplicates repeat an earlier one. Its WHERE is the text the store's query repeats
 * (SQLite uses a partial index only when the query's WHERE names the same terms).
 */
const SCHEMA_2 = `
CREATE INDEX results_member ON results (member_id, seq);
CREATE INDEX results_status ON results (status, seq);
CREATE INDEX results_leaderboard ON results (value, seq) WHERE status IN ('keep','discard');
`;

/**
 * Schema 3: two indexes fewer on `results`, each of which cost every submission a write to a random
 * page of it, together about half of the pages a durable POST commits (docs/benchmarks.md):
 * - `UNIQUE (member_id, idempotency_key)`: idempotency is decided by the KB's map of keys (built
 *   from the log at open; one host per KB, main/life/kb-lock.ts), so it enforced again what was
 *   already enforced. SQLite cannot drop a table constraint: the table is rebuilt (create, copy,
 *   drop, rename) with schema 2's other indexes.
 * - `results_leaderboard`: the fold keeps the best results itself (main/rules/leaders.ts).
 */
const SCHEMA_3 = `
CREATE TABLE results_3 (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  member_id       TEXT NOT NULL REFERENCES members (id),
  value           REAL,
  status          TEXT NOT NULL CHECK (status IN (${sqlList(ResultStatus.options)})),
  impact          REAL NOT NULL,
  champion        INTEGER NOT NULL,
  duplicate_of    TEXT,
  reason          TEXT NOT NULL,
  hypothesis      TEXT NOT NULL,
  patch           TEXT NOT NULL,
  parent          TEXT,
  code_hash       TEXT NOT NULL,
  output          TEXT NOT NULL,
  hardware        TEXT NOT NULL,
  durations       TEXT NOT NULL,
  idempotency_key TEXT,
  created_at      INTEGER NOT NULL
) STRICT;
INSERT INTO results_3 (seq, id, member_id, value, status, impact, champion, duplicate_of, reason, hypothesis, patch, parent,
    code_hash, output, hardware, durations, idempotency_key, created_at)
  SELECT seq, id, member_id, value, status, impact, champion, duplicate_of, reason, hypothesis, patch, parent,
    code_hash, output, hardware, durations, idempotency_key, created_at FROM results ORDER BY seq;
DROP TABLE results;
ALTER TABLE results_3 RENAME TO results;
CREATE INDEX results_member ON results (member_id, seq);
CREATE INDEX results_status ON results (status, seq);
`;

/**
 * Schema 4: re-runs of claims (docs/design.md, "Verified champions"). A result row keeps the verdict
 * the fold now gives it; a re-run that changes verdicts updates those rows in the same transaction.
 */
const SCHEMA_4 = `
CREATE TABLE reruns (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  claim_id        TEXT NOT NULL REFERENCES results (id),
  member_id       TEXT NOT NULL REFERENCES members (id),
  value           REAL,
  hardware        TEXT NOT NULL,
  output          TEXT NOT NULL,
  durations       TEXT NOT NULL,
  idempotency_key TEXT,
  created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX reruns_claim ON reruns (claim_id, seq);
`;

/**
 * Schema 5: the GPUs a worker declares when it asks to join (protocol/oauth.ts), so the owner's
 * list can say whether it meets the program's `requires`. NULL in requests made before, and in
 * those of workers that do not say.
 */
const SCHEMA_5 = `
ALTER TABLE join_requests ADD COLUMN gpu_model TEXT;
ALTER TABLE join_requests ADD COLUMN gpu_count INTEGER;
ALTER TABLE join_requests ADD COLUMN gpu_memory_mb INTEGER;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'the first schema: meta, join requests, members, results, champion files', up: (db) => db.exec(SCHEMA_1) },
  { version: 2, description: 'indexes for paged listings and the leaderboard', up: (db) => db.exec(SCHEMA_2) },
  { version: 3, description: 'results without the idempotency index', up: (db) => db.exec(SCHEMA_3), rebuildsReferencedTable: true },
  { version: 4, description: 're-runs of claims', up: (db) => db.exec(SCHEMA_4) },
  { version: 5, description: 'the GPUs a join request declares', up: (db) => db.exec(SCHEMA_5) },
];

/** The KB file cannot be used by this version of Cohort. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

function foreignKeysEnforced(db: DatabaseSync): boolean {
  const row = db.prepare('PRAGMA foreign_keys').get() as { foreign_keys?: unknown } | undefined;
  return Number(row?.foreign_keys ?? 0) === 1;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version?: unknown } | undefined;
  return Number(row?.user_version ?? 0);
}

/**
 * Brings the file at `path` up to the last of `migrations` (numbered 1, 2, … in order). Refuses a
 * file newer than the code, without touching it.
 */
/** `onMigrate` hears each migration of an existing file (not of a new one) before it runs. */
export function migrate(db: DatabaseSync, path: string, migrations: readonly Migration[] = MIGRATIONS, onMigrate?: (m: Migration) => void): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1, 2, …: found ${m.version} at position ${i + 1}`);
  });
  const latest = migrations.length;
  const found = schemaVersion(db);
  if (found > latest) {
    throw new SchemaError(`${path}: this KB was written by a newer Cohort (schema ${found}, this one knows up to ${latest}); update Cohort to open it`);
  }
  for (const m of migrations.slice(found)) {
    // Only outside a transaction does this pragma take effect.
    const enforced = foreignKeysEnforced(db);
    if (m.rebuildsReferencedTable && enforced) db.exec('PRAGMA foreign_keys = OFF');
    // IMMEDIATE: another process opening the same file waits instead of migrating it twice.
    db.exec('BEGIN IMMEDIATE');
    try {
      // Read again under the lock: another process may have migrated it while we waited.
      if (schemaVersion(db) >= m.version) {
        db.exec('COMMIT');
        continue;
      }
      // A new file is built by the same migrations: only an existing one is "updated".
      if (found > 0) onMigrate?.(m);
      m.up(db);
      if (m.rebuildsReferencedTable) {
        const broken = db.prepare('PRAGMA foreign_key_check').all();
        if (broken.length > 0) throw new Error(`${broken.length} reference(s) would be left dangling, e.g. ${JSON.stringify(broken[0])}`);
      }
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      // Some errors (a full disk) have SQLite roll the transaction back itself.
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new SchemaError(`${path}: migrating the KB to schema ${m.version} (${m.description}) failed, and the file was left at schema ${schemaVersion(db)}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (m.rebuildsReferencedTable && enforced) db.exec('PRAGMA foreign_keys = ON');
    }
  }
}
