/**
 * `cohort run` when the host refuses a result (exit 1, and it says so), then `cohort outbox` lists it
 * and `cohort outbox resend` delivers it once the host accepts (docs/worker.md, "The outbox").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortPaths } from '../protocol/node/paths.ts';
import { newMembership, saveMembership, type Membership } from '../worker-runtime/credentials.ts';
import { startHostileHost, type HostileHost } from '../worker-runtime/testing/hostile-host.ts';
import { runCohort } from './testing.ts';

let home: string;
let host: HostileHost;
let membership: Membership;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-outbox-'));
  host = await startHostileHost({
    spec: { name: 'refusing', objective: 'x', metric: 'val_loss', direction: 'minimize', run: 'node train.js' },
    files: [{ path: 'train.js', content: 'console.log("val_loss: 0.5")\n' }],
  });
  membership = newMembership({ program: 'refusing', url: host.url, token: 'cohort_mt_x', memberId: 'm1', name: 'ada', joinedAt: new Date().toISOString() });
  await saveMembership(cohortPaths({ COHORT_HOME: home }), membership);
});
afterAll(async () => {
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe('a refused result, from cohort run to cohort outbox resend', () => {
  it('run exits 1 and says so; outbox lists it with the reason; resend delivers it once the host accepts', async () => {
    host.answerResults(() => ({ status: 400, body: { error: 'invalid_result', message: 'The result is invalid: a field this host does not know' } }));
    const run = await runCohort(home, ['run', '--no-sandbox', '--hypothesis', 'try']);
    expect(run.stdout).toContain('1 run(s), 0 result(s) submitted.');
    expect(run.stderr).toMatch(/1 result\(s\) were refused or not sent; they are kept: `cohort outbox --program refusing-[0-9a-f]+` lists them/);
    expect(run.code).toBe(1);
    expect(host.submissions).toHaveLength(1);

    const listed = await runCohort(home, ['outbox']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^STATE\s+KEY\s+MADE\s+VALUE\s+REASON/);
    expect(listed.stdout).toMatch(/rejected\s+\S+\s+\S+\s+0\.5\s+invalid_result: The result is invalid: a field this host does not know/);
    const key = /rejected\s+(\S+)/.exec(listed.stdout)![1]!;

    expect((await runCohort(home, ['outbox', 'resend'])).code).toBe(1); // neither a key nor --all

    host.answerResults(null);
    const resent = await runCohort(home, ['outbox', 'resend', key, '--program', membership.id]);
    expect(resent.stderr).toBe('');
    expect(resent.code).toBe(0);
    expect(resent.stdout).toContain(`${key}: r2 discard`);
    expect(host.submissions).toHaveLength(2);
    expect(JSON.parse(host.submissions[1]!)).toMatchObject({ idempotency_key: key, value: 0.5 });
    expect((await runCohort(home, ['outbox', 'list'])).stdout).toContain('is empty');
  });
});
