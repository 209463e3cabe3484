/**
 * The owner UI in Chromium against the real host and real worker processes (`cohort join`,
 * `cohort run`): a join request appears live, Approve lets the worker in, its result reaches the
 * leaderboard and the chart without a reload; Deny reaches the worker. Then, on a host of a program
 * that verifies claims, what verification shows the owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_RENDERER, startHost, type RunningHost } from '../main/host.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, type Joined, type TestHost } from '../main/testing/harness.ts';
import type { NextJobResponse, RerunReportResponse } from '../protocol/index.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { SqliteKbStore } from '../main/store/sqlite-store.ts';
import { kbPath } from '../protocol/node/paths.ts';
import { standIn, type StandIn } from '../main/tunnel/fixtures/stand-in.ts';
import { testSandbox } from '../worker-runtime/sandbox/testing.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const COHORT = fileURLToPath(new URL('../cli/cohort.ts', import.meta.url));
const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));

let host: RunningHost;
let browser: Browser;
let page: Page;
const homes: string[] = [];
const consoleErrors: string[] = [];
let adaHome = '';
/** cloudflared's stand-in: the UI shows a tunnel that is up; workers here use the listener's own URL. */
let cloudflared: StandIn;
/** `--no-sandbox` only where the kernel forbids user namespaces (testSandbox says so). */
let sandboxArgs: string[] = [];

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-ui-'));
  homes.push(dir);
  return dir;
}

/** A worker process; resolves with its exit code and output. */
function cohort(cohortHome: string, ...args: string[]): { child: ChildProcess; done: Promise<{ code: number; out: string }> } {
  const child = spawn(process.execPath, [COHORT, ...args], { env: { ...process.env, COHORT_HOME: cohortHome }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, done: once(child, 'exit').then(([code]) => ({ code: code as number, out })) };
}

beforeAll(async () => {
  sandboxArgs = (await testSandbox()).cliArgs;
  cloudflared = await standIn({ NAME: 'quiet-owl-example' });
  if (!existsSync(join(BUILT_RENDERER, 'index.html'))) throw new Error('The UI is not built: run `npm run build:renderer` first (npm test does).');
  const ownerHome = await home();
  // This program was published before, at another quick-tunnel URL (a quick tunnel's URL changes at every start).
  const paths = { configDir: join(ownerHome, 'config'), dataDir: join(ownerHome, 'data') };
  const earlier = SqliteKbStore.open(kbPath(paths, 'quadratic'));
  await earlier.setMeta('program', 'quadratic');
  await earlier.setMeta('public_url', 'https://old-owl-example.trycloudflare.com');
  await earlier.close();
  host = await startHost({
    program: await loadProgram(QUADRATIC),
    paths: { configDir: join(ownerHome, 'config'), dataDir: join(ownerHome, 'data') },
    writeState: false,
    intervalSeconds: 1,
    tunnel: { binary: cloudflared.binary, env: cloudflared.env },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await cloudflared?.cleanup();
  for (const dir of homes) await rm(dir, { recursive: true, force: true });
});

describe('owner UI', () => {
  it('opens with the token from the fragment, then drops it from the URL', async () => {
    await page.goto(host.ownerUiUrl);
    await page.getByText('quadratic').first().waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate('location.hash')).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'owner-empty.png'), fullPage: true });
  });

  it('shows the tunnel\'s state, and its URL as the public URL and in the join command', async () => {
    const tunnel = page.getByTestId('tunnel');
    await expect.poll(() => tunnel.getAttribute('data-state'), { timeout: 15_000 }).toBe('up');
    await expect.poll(async () => (await page.getByTestId('public-url').textContent()) ?? '').toContain('https://quiet-owl-example.trycloudflare.com');
    expect(await page.getByTestId('join-command').textContent()).toContain('cohort join https://quiet-owl-example.trycloudflare.com');
    // Members who joined at the last start's URL must re-point: the page says so, with the command.
    const changed = page.getByTestId('url-changed');
    expect(await changed.textContent()).toMatch(/The public URL changed since the last start \(it was https:\/\/old-owl-example\.trycloudflare\.com\)\. Members who joined before re-point\s+with cohort join https:\/\/quiet-owl-example\.trycloudflare\.com/);
  });

  it('a join request appears live; Approve lets the worker in; its result reaches the leaderboard and the chart live', async () => {
    const workerHome = (adaHome = await home());
    const joining = cohort(workerHome, 'join', host.listenerUrl, '--name', 'ada');
    const card = page.getByTestId('join-request').filter({ hasText: 'ada' });
    await card.waitFor({ timeout: 15_000 });
    await expect(card.textContent()).resolves.toMatch(/[A-Z]{4}-[A-Z]{4}/);
    await page.screenshot({ path: join(ARTIFACTS, 'owner-join-request.png'), fullPage: true });

    await card.getByTestId('approve').click();
    const joined = await joining.done;
    expect(joined.code, joined.out).toBe(0);
    expect(joined.out).toMatch(/Approved/);
    await page.getByTestId('member-row').getByText('ada', { exact: true }).waitFor();
    await card.waitFor({ state: 'detached' });

    const chart = page.getByTestId('chart');
    const run = await cohort(workerHome, 'run', ...sandboxArgs, '--hypothesis', 'baseline from the UI test').done;
    expect(run.code, run.out).toBe(0);
    const row = page.getByTestId('result-row').filter({ hasText: 'baseline from the UI test' });
    await row.waitFor({ timeout: 15_000 });
    await page.getByTestId('champion').getByText('ada', { exact: true }).waitFor();
    await expect.poll(() => chart.getAttribute('data-points')).toBe('1');

    const second = await cohort(workerHome, 'run', ...sandboxArgs, '--propose', 'mutate').done;
    expect(second.code, second.out).toBe(0);
    await expect.poll(() => page.getByTestId('result-row').count()).toBe(2);
    await expect.poll(() => chart.getAttribute('data-points')).toBe('2');
    await page.screenshot({ path: join(ARTIFACTS, 'owner-leaderboard.png'), fullPage: true });
  }, 90_000);

  it('Deny reaches the worker', async () => {
    const denied = cohort(await home(), 'join', host.listenerUrl, '--name', 'mallory');
    const card = page.getByTestId('join-request').filter({ hasText: 'mallory' });
    await card.waitFor({ timeout: 15_000 });
    await card.getByTestId('deny').click();
    const result = await denied.done;
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/The owner denied this join request/);
    await card.waitFor({ state: 'detached' });
  }, 60_000);

  it('Deny all from this network reaches every worker asking from it', async () => {
    const joins = [cohort(await home(), 'join', host.listenerUrl, '--name', 'flood-1'), cohort(await home(), 'join', host.listenerUrl, '--name', 'flood-2')];
    const cards = page.getByTestId('join-request').filter({ hasText: /flood-/ });
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(2);
    await cards.first().getByTestId('deny-network').click();
    for (const join of joins) {
      const result = await join.done;
      expect(result.code).toBe(1);
      expect(result.out).toMatch(/The owner denied this join request/);
    }
    await page.getByTestId('decision-notice').getByText('Denied 2 join requests from 127.0.0.0/8.').waitFor();
    await expect.poll(() => cards.count()).toBe(0);
  }, 60_000);

  it('exports payouts as CSV', async () => {
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    expect((await download).suggestedFilename()).toBe('cohort-quadratic-payouts.csv');
  });

  it('Revoke (after confirming) locks the worker out', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('member-row').filter({ hasText: 'ada' }).getByTestId('revoke').click();
    await expect.poll(async () => (await host.auth.members()).find((m) => m.name === 'ada')?.revoked_at ?? null).not.toBeNull();
    const run = await cohort(adaHome, 'run', ...sandboxArgs, '--hypothesis', 'after revoke').done;
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/revoked by its owner/);
  }, 60_000);

  it('the page logged no errors (CSP violations included)', () => {
    expect(consoleErrors).toEqual([]);
  });

  it('is readable in dark mode', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'owner-dark.png'), fullPage: true });
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).not.toBe('rgb(255, 255, 255)');
  });
});

describe('owner UI, verified champions', () => {
  let vhost: TestHost;
  let vpage: Page;
  const errors: string[] = [];
  const H100 = { gpu: 'NVIDIA H100' };

  const submit = async (m: Joined, value: number, lr: string) => {
    const res = await call<{ result: { id: string; status: string } }>(vhost.publicUrl, '/api/results', { token: m.token, json: { value, patch: lrPatch(lr), hardware: H100 } });
    expect(res.body.result.status, JSON.stringify(res.body)).toBe('keep');
    return res.body.result.id;
  };
  /** `verifier` leases the one pending claim (it must be `claim`) and reports what its re-run got. */
  const rerun = async (verifier: Joined, claim: string, body: Record<string, unknown>) => {
    const job = (await call<NextJobResponse>(vhost.publicUrl, '/api/verifications/next', { token: verifier.token, json: { hardware: H100 } })).body.job;
    expect(job?.claim.id).toBe(claim);
    const done = await call<RerunReportResponse>(vhost.publicUrl, `/api/verifications/${job!.lease}/report`, { token: verifier.token, json: { hardware: H100, ...body } });
    expect(done.status).toBe(201);
    return done.body.claim;
  };

  beforeAll(async () => {
    vhost = await startTestHost({ program: sampleProgram({ verify: { replicas: 1, tolerance: 0.01 }, baseline: 3, pool: 100 }), membership: 'open', writeState: false });
    const [ada, bob, mallory] = [await joinMember(vhost, 'ada'), await joinMember(vhost, 'bob'), await joinMember(vhost, 'mallory')];
    // r1: reproduced at a slightly worse value, so it is judged (and paid) by 2.504.
    expect(await rerun(bob, await submit(ada, 2.5, '0.02'), { value: 2.504 })).toMatchObject({ verification: 'reproduced', effective_value: 2.504 });
    // r2, r3: mallory's claims do not reproduce (a crash, then a re-run too far off): flagged.
    expect(await rerun(ada, await submit(mallory, 0.1, '0.03'), { value: null, crashed: true })).toMatchObject({ verification: 'not_reproduced' });
    expect(await rerun(bob, await submit(mallory, 2.3, '0.05'), { value: 2.35 })).toMatchObject({ verification: 'not_reproduced' });
    // r4: bob's claim, pending: the champion, earning nothing until it reproduces.
    await submit(bob, 2.4, '0.04');
    vpage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    vpage.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    vpage.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await vpage?.close();
    await vhost?.dispose();
  });

  it('shows each claim\'s verification, the value it was judged by, pending payouts apart, the noise and the flagged member', async () => {
    await vpage.goto(vhost.ownerUiUrl);
    const row = (id: string) => vpage.locator(`[data-testid="result-row"][data-id="${id}"]`);
    await row('r4').waitFor({ timeout: 15_000 });
    const badge = (id: string) => row(id).getByTestId('verification');
    expect(await badge('r1').textContent()).toBe('reproduced');
    expect(await badge('r1').getAttribute('title')).toContain('bob: 2.504000');
    expect(await row('r1').getByTestId('effective-value').textContent()).toBe('2.500000 → 2.504000');
    expect(await badge('r2').textContent()).toBe('not reproduced');
    expect(await badge('r2').getAttribute('title')).toContain('ada: crashed');
    expect(await badge('r3').textContent()).toBe('not reproduced');
    expect(await badge('r4').textContent()).toBe('pending');
    expect(await row('r4').getByTestId('effective-value').count()).toBe(0); // nothing re-ran it yet

    const champion = vpage.getByTestId('champion');
    expect(await champion.getAttribute('data-id')).toBe('r4');
    expect(await champion.getByTestId('verification').textContent()).toBe('pending verification');

    // Earned: ada's reproduced claim only; pending: what ada and bob would get if bob's claim reproduces.
    const earned = vpage.getByTestId('payouts').getByTestId('payout-row');
    expect(await earned.allTextContents()).toEqual([expect.stringMatching(/ada.*100\.000000/)]);
    const block = vpage.getByTestId('pending-payouts-block');
    expect(await block.getByRole('heading').textContent()).toMatch(/^Pending verification — would earn/);
    const pending = await block.getByTestId('payout-row').allTextContents();
    expect(pending).toHaveLength(2);
    expect(pending.join('\n')).toMatch(/ada/);
    expect(pending.join('\n')).toMatch(/bob/);

    // Two re-runs with values (the crash is no measure of noise): 0.004 and 0.05 from their claims.
    const noise = vpage.getByTestId('noise');
    expect(await noise.textContent()).toMatch(/from 2 re-runs: re-runs land a median 0\.027000 \(p90 0\.050000\) from the claimed value/);
    expect(await noise.getByTestId('noise-suggestion').textContent()).toMatch(/Suggested min_improvement 0\.050000, now 0\.000000 \(below the noise/);

    const member = (name: string) => vpage.getByTestId('member-row').filter({ hasText: name });
    expect(await member('mallory').getByTestId('flagged').textContent()).toBe('flagged');
    expect(await member('mallory').getByTestId('member-not-reproduced').textContent()).toBe('2');
    expect(await member('ada').getByTestId('flagged').count()).toBe(0);

    await vpage.screenshot({ path: join(ARTIFACTS, 'owner-verification-1400.png'), fullPage: true });
    await vpage.setViewportSize({ width: 700, height: 900 });
    await vpage.screenshot({ path: join(ARTIFACTS, 'owner-verification-700.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
