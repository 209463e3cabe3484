import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskResponse } from '../../protocol/index.ts';
import { call, joinMember, startTestHost, type TestHost } from '../../main/testing/harness.ts';
import { MemberClient } from '../member-client.ts';
import { Workspace } from './workspace.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

describe('workspace', () => {
  it('syncs the champion, diffs local edits in a form the host applies, and stashes edits when the champion moves', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const bob = await joinMember(host, 'bob');
    const client = new MemberClient(host.publicUrl, ada.token);
    const ws = new Workspace({ workspace: join(host.home.dir, 'ws'), state: join(host.home.dir, 'ws-state') }, ['train.py']);

    const first = await ws.sync(await client.task());
    expect(first).toMatchObject({ changed: true, championId: null, stashedTo: null });
    expect(await readFile(join(ws.dir, 'prepare.py'), 'utf8')).toBe('print("fixed")\n');
    expect(await ws.diff()).toBe('');

    // A member edit becomes a patch the host accepts and applies.
    const train = join(ws.dir, 'train.py');
    await writeFile(train, (await readFile(train, 'utf8')).replace('LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02  # faster'));
    const patch = await ws.diff();
    expect(patch).toMatch(/^--- a\/train\.py\n\+\+\+ b\/train\.py\n@@/);
    const res = await call<{ result: { id: string; champion: boolean } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 2, patch, parent: null } });
    expect(res.body.result.champion).toBe(true);

    // Same champion: a re-sync keeps local edits in place.
    expect((await ws.sync(await client.task())).changed).toBe(true);
    expect(await readFile(train, 'utf8')).toContain('LEARNING_RATE = 0.02  # faster');
    expect(await ws.diff()).toBe('');
    await writeFile(train, (await readFile(train, 'utf8')).replace('DEPTH = 4', 'DEPTH = 6'));
    expect((await ws.sync(await client.task())).changed).toBe(false);
    expect(await readFile(train, 'utf8')).toContain('DEPTH = 6');

    // Bob takes the crown; ada's unsent edit is kept, not thrown away.
    const bobPatch = ['--- a/train.py', '+++ b/train.py', '@@ -1,2 +1,2 @@', '-LEARNING_RATE = 0.02  # faster', '+LEARNING_RATE = 0.03', ' DEPTH = 4', ''].join('\n');
    const bobRes = await call<{ result: { champion: boolean } }>(host.publicUrl, '/api/results', { token: bob.token, json: { value: 1, patch: bobPatch, parent: res.body.result.id } });
    expect(bobRes.body.result.champion).toBe(true);
    const moved = await ws.sync(await client.task());
    expect(moved.changed).toBe(true);
    expect(moved.stashedTo).not.toBeNull();
    expect(await readFile(join(moved.stashedTo!, 'train.py'), 'utf8')).toContain('DEPTH = 6');
    expect(await readFile(train, 'utf8')).toContain('LEARNING_RATE = 0.03');
    expect(await readdir(join(ws.stateDir, 'stash'))).toHaveLength(1);

    // reset() puts the champion's code back.
    await writeFile(train, 'broken');
    await ws.reset();
    expect(await readFile(train, 'utf8')).toContain('LEARNING_RATE = 0.03');
  });

  it('refuses files that would land outside the workspace before writing anything', async () => {
    const ws = new Workspace({ workspace: '/tmp/cohort-ws-never-written', state: '/tmp/cohort-ws-never-written-state' }, ['train.py']);
    const task = { program: { spec: { name: 'x' } }, champion: null, files: [{ path: '../evil.py', content: 'x' }], reference: null } as unknown as TaskResponse;
    await expect(ws.sync(task)).rejects.toThrow(/"\.\.\/evil\.py" is not a plain relative path/);
    expect(existsSync('/tmp/cohort-ws-never-written')).toBe(false);
  });
});
