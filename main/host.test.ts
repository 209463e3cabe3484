import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost } from './host.ts';
import { readHostState, stateFilePath } from './state-file.ts';
import { call, joinMember, lrPatch, sampleProgram, tempHome, type TempHome } from './testing/harness.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

describe('startHost', () => {
  it('a restart keeps members, results and the champion', async () => {
    home = await tempHome();
    const program = sampleProgram({ pool: 10 });
    const first = await startHost({ program, paths: home.paths });
    const ada = await joinMember(first, 'ada');
    const bob = await joinMember(first, 'bob');
    await call(first.publicUrl, '/api/results', { token: ada.token, json: { value: 2.0, hypothesis: 'base' } });
    await call(first.publicUrl, '/api/results', { token: bob.token, json: { value: 1.5, patch: lrPatch('0.3'), parent: 'r1', hypothesis: 'lr 0.3' } });
    await call(first.publicUrl, '/api/results', { token: ada.token, json: { value: 1.9, patch: lrPatch('0.4'), parent: 'r1' } });
    const revoked = await joinMember(first, 'carol');
    await call(first.ownerUrl, `/api/owner/members/${revoked.memberId}/revoke`, { method: 'POST', token: first.ownerToken });
    const before = await call<{ results: unknown[]; payouts: unknown[] }>(first.publicUrl, '/api/status', { token: ada.token });
    await first.close();

    const second = await startHost({ program, paths: home.paths });
    try {
      expect(second.kbFile).toBe(first.kbFile);
      const champ = await call<{ champion: { id: string; value: number; member_name: string } }>(second.publicUrl, '/api/champion', { token: bob.token });
      expect(champ.status).toBe(200);
      expect(champ.body.champion).toMatchObject({ id: 'r2', value: 1.5, member_name: 'bob' });
      const after = await call<{ results: unknown[]; payouts: unknown[] }>(second.publicUrl, '/api/status', { token: ada.token });
      expect(after.body.results).toEqual(before.body.results);
      expect(after.body.payouts).toEqual(before.body.payouts);
      expect((await call(second.publicUrl, '/api/champion', { token: revoked.token })).status).toBe(403);
      // The next result continues the sequence and is judged against the kept champion.
      const next = await call<{ result: { id: string; status: string } }>(second.publicUrl, '/api/results', { token: ada.token, json: { value: 1.6, patch: lrPatch('0.5', '0.3'), parent: 'r2' } });
      expect(next.body.result).toMatchObject({ id: 'r4', status: 'discard' });
      const dup = await call<{ result: { status: string; duplicate_of: string } }>(second.publicUrl, '/api/results', { token: ada.token, json: { value: 1.0, patch: lrPatch('0.3'), parent: 'r1' } });
      expect(dup.body.result).toMatchObject({ status: 'duplicate', duplicate_of: 'r2' });
    } finally {
      await second.close();
    }
  });

  it('writes a 0600 state file for the CLI and removes it on close', async () => {
    home = await tempHome();
    const host = await startHost({ program: sampleProgram(), paths: home.paths });
    const file = stateFilePath(home.paths, 'sample');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const state = await readHostState(home.paths);
    expect(state).toMatchObject({ pid: process.pid, ownerUrl: host.ownerUrl, publicUrl: host.publicUrl, ownerToken: host.ownerToken, program: 'sample' });
    await host.close();
    await expect(readHostState(home.paths)).rejects.toThrow(/No Cohort host is running/);
  });

  it('refuses a KB written by a newer schema instead of damaging it', async () => {
    home = await tempHome();
    const host = await startHost({ program: sampleProgram(), paths: home.paths, writeState: false });
    await host.close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(host.kbFile);
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(startHost({ program: sampleProgram(), paths: home.paths, writeState: false })).rejects.toThrow(/newer Cohort/);
  });
});

describe('rules are fixed once results exist', () => {
  it('refuses to reopen a KB whose TASK.md changed direction, and says which field', async () => {
    const h = await tempHome();
    try {
      const first = await startHost({ program: sampleProgram(), paths: h.paths, writeState: false });
      const ada = await joinMember(first, 'ada');
      await call(first.publicUrl, '/api/results', { token: ada.token, json: { value: 2 } });
      await first.close();
      await expect(startHost({ program: sampleProgram({ direction: 'maximize' }), paths: h.paths, writeState: false })).rejects.toThrow(/TASK\.md changed direction/);
      // Text and pool may change freely.
      const again = await startHost({ program: { ...sampleProgram({ pool: 500 }), body: 'new text' }, paths: h.paths, writeState: false });
      expect(again.kb.champion()?.value).toBe(2);
      await again.close();
    } finally {
      await h.cleanup();
    }
  });
});

describe('shutdown', () => {
  it('closes promptly while an owner event stream is open', async () => {
    const h = await tempHome();
    try {
      const host = await startHost({ program: sampleProgram(), paths: h.paths, writeState: false });
      const res = await fetch(`${host.ownerUrl}/api/owner/events`, { headers: { authorization: `Bearer ${host.ownerToken}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read(); // the "connected" comment
      const started = Date.now();
      await host.close();
      expect(Date.now() - started).toBeLessThan(3_000);
      // The stream ends instead of hanging.
      for (;;) if ((await reader.read()).done) break;
    } finally {
      await h.cleanup();
    }
  });
});
