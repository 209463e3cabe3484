import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { KbFingerprint } from './hostile.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The detector the hostile-input suites rely on must itself be able to fail. */
describe('KbFingerprint', () => {
  it('sees every commit by another connection, even commits that leave the content as it was, and no read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-fingerprint-'));
    const path = join(dir, 'kb.sqlite');
    const writer = new DatabaseSync(path);
    writer.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT) STRICT; INSERT INTO t VALUES (\'a\');');
    const fp = new KbFingerprint(path);
    try {
      const first = fp.take();
      writer.prepare('SELECT * FROM t').all();
      expect(fp.take()).toBe(first);
      const dump = fp.dump();
      // (SQLite writes nothing for an UPDATE that changes no value, so that is not a commit to see.)
      writer.exec("UPDATE t SET x = 'a'");
      expect(fp.take()).toBe(first);
      writer.exec("UPDATE t SET x = 'z'");
      writer.exec("UPDATE t SET x = 'a'");
      expect(fp.dump()).toBe(dump);
      const same = fp.take();
      expect(same).not.toBe(first);
      writer.exec("INSERT INTO t VALUES ('b')");
      expect(fp.take()).not.toBe(same);
      expect(fp.dump()).toContain('"x":"b"');
    } finally {
      fp.close();
      writer.close();
    }
  });
});
