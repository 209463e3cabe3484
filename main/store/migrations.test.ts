import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultStatus } from '../../protocol/results.ts';
import { StoredJoinStatus } from './kb-store.ts';
import { MIGRATIONS, SchemaError, type Migration } from './migrations.ts';
import { SqliteKbStore } from './sqlite-store.ts';

/**
 * The schema exactly as Cohort 0.1.0 wrote it, before migrations existed (it set user_version 1).
 * Frozen here on purpose: files like this are out there, and schema 1 must keep meaning this.
 */
const SCHEMA_0_1_0 = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS join_requests (
  id               TEXT PRIMARY KEY,
  device_code_hash TEXT NOT NULL UNIQUE,
  user_code        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending','approved','denied','consumed')),
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
  status          TEXT NOT NULL CHECK (status IN ('keep','discard','crash','duplicate')),
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

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-migrations-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A KB file as Cohort 0.1.0 left it: its schema, its user_version, a row in every table. */
function oldFile(name: string, userVersion = 1): string {
  const file = join(dir, name);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(SCHEMA_0_1_0);
  db.exec(`PRAGMA user_version = ${userVersion}`);
  db.exec(`
    INSERT INTO meta VALUES ('rules', '{"name":"sample"}');
    INSERT INTO join_requests VALUES ('jr1', 'dch', 'ABCD-EFGH', 'consumed', 'cohort-worker', 'ada', 'ada-host', 'linux', 'H100', '0.1.0', '127.0.0.1',
      1000, 2000, 5, 1500, 1600, 'm1');
    INSERT INTO members VALUES ('m1', 'ada', 'ada-host', 'linux', 'H100', '0.1.0', '127.0.0.1', 'th1', 'jr1', 1600, NULL);
    INSERT INTO results VALUES (1, 'r1', 'm1', 3.0, 'keep', 0, 1, NULL, 'first result', 'baseline', '', NULL, 'h1', 'out', '{"gpu":"H100"}', '{"train_s":1}', 'k1', 1700);
    INSERT INTO results VALUES (2, 'r2', 'm1', NULL, 'crash', 0, 0, NULL, 'crashed', 'oops', '', 'r1', 'h2', 'Traceback', '{}', '{}', NULL, 1800);
    INSERT INTO champion_files VALUES ('r1', 'train.py', 'LEARNING_RATE = 0.01');
  `);
  db.close();
  return file;
}

function inspect(file: string): { version: number; schema: { name: string; sql: string | null }[] } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    const schema = db.prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string; sql: string | null }[];
    return { version, schema };
  } finally {
    db.close();
  }
}

async function readsBack(store: SqliteKbStore): Promise<void> {
  expect(await store.getMeta('rules')).toBe('{"name":"sample"}');
  expect(await store.getJoinRequestByUserCode('ABCD-EFGH')).toMatchObject({ id: 'jr1', status: 'consumed', memberId: 'm1' });
  expect(await store.getMember('m1')).toMatchObject({ name: 'ada', tokenHash: 'th1', revokedAt: null });
  expect((await store.listResults()).map((r) => [r.id, r.status, r.value, r.champion])).toEqual([['r1', 'keep', 3, true], ['r2', 'crash', null, false]]);
  expect(await store.listResultFacts(0, 10)).toHaveLength(2);
  expect(await store.listChampionFiles()).toEqual(new Map([['r1', new Map([['train.py', 'LEARNING_RATE = 0.01']])]]));
}

describe('schema migrations', () => {
  it('schema 1 is the schema Cohort 0.1.0 wrote, and a file of it opens, migrated to the latest schema, with everything in it', async () => {
    const file = oldFile('old.sqlite');
    const before = inspect(file);
    expect(before.version).toBe(1);

    // Migration 1 alone builds the released schema, text for text.
    const first = join(dir, 'first.sqlite');
    await SqliteKbStore.open(first, { migrations: MIGRATIONS.slice(0, 1) }).close();
    expect(inspect(first), 'the schema migration 1 builds differs from the released one: add a migration instead of editing one').toEqual(before);

    const heard: number[] = [];
    const store = SqliteKbStore.open(file, { onMigrate: (m) => heard.push(m.version) });
    try {
      await readsBack(store);
    } finally {
      await store.close();
    }
    expect(heard).toEqual(MIGRATIONS.slice(1).map((m) => m.version)); // the host tells the owner before each
    const after = inspect(file);
    expect(after.version).toBe(MIGRATIONS.length);
    // Later migrations keep every table of schema 1 with its columns; schema 3 rebuilt `results`
    // without UNIQUE (member_id, idempotency_key) (the KB's map of keys decides idempotency);
    // schema 5 added the declared GPUs to `join_requests`.
    expect(after.schema).toEqual(expect.arrayContaining(before.schema.filter((s) => s.name !== 'results' && s.name !== 'join_requests')));
    const joinRequests = (schema: typeof before.schema) => schema.find((s) => s.name === 'join_requests')?.sql ?? '';
    expect(joinRequests(after.schema)).toBe(joinRequests(before.schema).replace(/\n\) STRICT$/, '\n, gpu_model TEXT, gpu_count INTEGER, gpu_memory_mb INTEGER) STRICT'));
    const results = (schema: typeof before.schema) => schema.find((s) => s.name === 'results')?.sql ?? '';
    expect(results(after.schema).replace(/^CREATE TABLE "results"/, 'CREATE TABLE results')).toBe(
      results(before.schema).replace('CREATE TABLE IF NOT EXISTS results', 'CREATE TABLE results').replace(',\n  UNIQUE (member_id, idempotency_key)', ''),
    );
    // Schema 2: the listings' indexes (docs/design.md, "Listings at scale"); schema 3 dropped the leaderboard's.
    expect(after.schema.map((s) => s.name)).toEqual(expect.arrayContaining(['results_member', 'results_status']));
    expect(after.schema.map((s) => s.name)).not.toContain('results_leaderboard');

    // A new file is built by the migrations to the same schema as a migrated old one.
    const fresh = join(dir, 'fresh.sqlite');
    await SqliteKbStore.open(fresh, { onMigrate: (m) => heard.push(-m.version) }).close();
    expect(heard.filter((v) => v < 0)).toEqual([]); // a new file is built, not updated
    expect(inspect(fresh)).toEqual(after);
  });

  it('the status constraints list exactly the protocol\'s statuses (a new one needs a migration that rebuilds the table)', () => {
    const file = oldFile('old.sqlite');
    const sql = (table: string) => inspect(file).schema.find((s) => s.name === table)?.sql ?? '';
    const list = (values: readonly string[]) => `CHECK (status IN (${values.map((v) => `'${v}'`).join(',')}))`;
    expect(sql('results')).toContain(list(ResultStatus.options));
    expect(sql('join_requests')).toContain(list(StoredJoinStatus.options));
  });

  it('a file from before user_version was kept (0) is recognised as schema 1 (and migrated from there)', async () => {
    const file = oldFile('v0.sqlite', 0);
    const store = SqliteKbStore.open(file);
    try {
      await readsBack(store);
    } finally {
      await store.close();
    }
    expect(inspect(file).version).toBe(MIGRATIONS.length);
    const v1 = oldFile('v1.sqlite');
    await SqliteKbStore.open(v1).close();
    expect(inspect(file)).toEqual(inspect(v1));
  });

  it('applies each later migration in its own transaction; one that fails leaves the file at its old version', async () => {
    const file = oldFile('old.sqlite');
    await SqliteKbStore.open(file).close();
    const before = inspect(file);
    const latest = MIGRATIONS.length;
    const next = latest + 1;
    const failing: Migration = {
      version: next,
      description: 'test: half a change, then a failure',
      up(db) {
        db.exec('ALTER TABLE results ADD COLUMN note TEXT');
        db.exec("INSERT INTO meta VALUES ('half', 'done')");
        throw new Error('boom');
      },
    };
    expect(() => SqliteKbStore.open(file, { migrations: [...MIGRATIONS, failing] })).toThrow(SchemaError);
    expect(() => SqliteKbStore.open(file, { migrations: [...MIGRATIONS, failing] })).toThrow(`to schema ${next} (test: half a change, then a failure) failed, and the file was left at schema ${latest}: boom`);
    expect(inspect(file)).toEqual(before);

    const working: Migration = { version: next, description: 'test: a note per result', up: (db) => db.exec('ALTER TABLE results ADD COLUMN note TEXT') };
    const store = SqliteKbStore.open(file, { migrations: [...MIGRATIONS, working] });
    try {
      await readsBack(store);
    } finally {
      await store.close();
    }
    expect(inspect(file).version).toBe(next);
    expect(inspect(file).schema.find((s) => s.name === 'results')?.sql).toContain('note TEXT');
  });

  it('schema 5: a KB at schema 4 gains the GPUs join requests declare; its requests keep saying nothing of them', async () => {
    const file = oldFile('v4.sqlite');
    await SqliteKbStore.open(file, { migrations: MIGRATIONS.slice(0, 4) }).close();
    expect(inspect(file).version).toBe(4);
    const store = SqliteKbStore.open(file);
    try {
      await readsBack(store);
      expect((await store.getJoinRequestByUserCode('ABCD-EFGH'))?.gpuFacts).toBeNull();
      const row = { ...(await store.getJoinRequestByUserCode('ABCD-EFGH'))!, id: 'jr2', deviceCodeHash: 'dch2', userCode: 'BCDFGHJK', status: 'pending' as const, memberId: null };
      await store.insertJoinRequest({ ...row, gpuFacts: { gpu_model: 'NVIDIA GB10', gpu_count: 1, gpu_memory_mb: 131072 } });
      expect((await store.getJoinRequestByUserCode('BCDFGHJK'))?.gpuFacts).toEqual({ gpu_model: 'NVIDIA GB10', gpu_count: 1, gpu_memory_mb: 131072 });
      await store.insertJoinRequest({ ...row, id: 'jr3', deviceCodeHash: 'dch3', userCode: 'CDFGHJKL', gpuFacts: undefined });
      expect((await store.getJoinRequestByUserCode('CDFGHJKL'))?.gpuFacts).toBeNull();
    } finally {
      await store.close();
    }
    expect(inspect(file).version).toBe(MIGRATIONS.length);
  });

  it('refuses a file written by a newer Cohort, naming the file and both versions, and leaves it alone', () => {
    const file = join(dir, 'new.sqlite');
    const newer = MIGRATIONS.length + 1;
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${newer}`);
    db.close();
    expect(() => SqliteKbStore.open(file)).toThrow(SchemaError);
    expect(() => SqliteKbStore.open(file)).toThrow(`${file}: this KB was written by a newer Cohort (schema ${newer}, this one knows up to ${MIGRATIONS.length}); update Cohort to open it`);
    expect(inspect(file)).toEqual({ version: newer, schema: [] });
  });

  it('refuses a migration list with a gap', () => {
    const skip: Migration = { version: MIGRATIONS.length + 2, description: 'test', up: () => {} };
    expect(() => SqliteKbStore.open(join(dir, 'x.sqlite'), { migrations: [...MIGRATIONS, skip] })).toThrow(/numbered 1, 2/);
  });
});
