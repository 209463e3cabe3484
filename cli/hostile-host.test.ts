/** `cohort run` against a host that serves crafted files: a clear refusal and exit 1, never a stack trace, nothing written. */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortPaths } from '../protocol/node/paths.ts';
import { newMembership, saveMembership } from '../worker-runtime/credentials.ts';
import { workerDirs } from '../worker-runtime/dirs.ts';
import { startHostileHost, type HostileHost } from '../worker-runtime/testing/hostile-host.ts';
import { runCohort } from './testing.ts';

let home: string;
let host: HostileHost;
let workspace: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-hostile-host-'));
  host = await startHostileHost({
    spec: { name: 'crafted', objective: 'x', metric: 'val_loss', direction: 'minimize' },
    files: [{ path: 'train.py', content: 'print("val_loss: 1")\n' }, { path: '.cohort/state.json', content: '{}' }],
  });
  const paths = cohortPaths({ COHORT_HOME: home });
  const membership = newMembership({ program: 'crafted', url: host.url, token: 'cohort_mt_x', memberId: 'm1', name: 'ada', joinedAt: new Date().toISOString() });
  await saveMembership(paths, membership);
  workspace = workerDirs(paths, membership).workspace;
});
afterAll(async () => {
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe('cohort run against a host serving crafted files', () => {
  it('refuses them by name with exit code 1 and no stack trace, writing nothing', async () => {
    const res = await runCohort(home, ['run', '--no-sandbox']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^cohort: The host sent a program file this worker will not write: "\.cohort\/state\.json" lies in \.cohort\//m);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(workspace)).toBe(false);
    expect(host.submissions).toEqual([]);
  });
});
