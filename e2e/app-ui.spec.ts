/**
 * The app's UI (`cohort app`, as the desktop app shows it) in Chromium, two real app processes:
 * the owner's publishes a program from the UI (a bad TASK.md first: its error shows inline), the
 * worker's joins it by URL (the code shown large; Deny, then Approve, reach the worker view), sees
 * the workspace laid out at once, runs the program's setup with Set up, runs the experiment with
 * live output and chart, and sees the host's verdict and the new champion, while the owner's
 * leaderboard updates live. The worker's machine has two stand-in GPUs: a loop with one run per GPU
 * keeps its options, slots and hypothesis across a reload and in a second tab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_RENDERER } from '../main/host.ts';
import { fakeNvidiaSmi, TWO_H100 } from '../worker-runtime/hardware/testing.ts';
import { testSandbox, type TestSandbox } from '../worker-runtime/sandbox/testing.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const COHORT = fileURLToPath(new URL('../cli/cohort.ts', import.meta.url));
const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const SETUP = 'echo ready > "$HOME/ready"';
const HYPOTHESIS = 'the shipped constants are already near the optimum';

interface AppProcess {
  child: ChildProcess;
  uiUrl: string;
  output: () => string;
}

const dirs: string[] = [];
const apps: AppProcess[] = [];
const consoleErrors: string[] = [];
let browser: Browser;
let ownerPage: Page;
let workerPage: Page;
let workerApp: AppProcess;
let programDir = '';
let badDir = '';
let publicUrl = '';
let sandbox: TestSandbox;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** `cohort app` in its own COHORT_HOME; resolves once it printed its UI address. */
async function startApp(env: Record<string, string> = {}): Promise<AppProcess> {
  const home = await tempDir('cohort-app-');
  const child = spawn(process.execPath, [COHORT, 'app', '--no-tunnel', ...sandbox.cliArgs], { env: { ...process.env, COHORT_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const uiUrl = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(out);
      if (m) resolve(m[0]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`cohort app exited (${code}) before it was ready:\n${out}`)));
    setTimeout(() => reject(new Error(`cohort app printed no address in 20 s:\n${out}`)), 20_000);
  });
  const app = { child, uiUrl, output: () => out };
  apps.push(app);
  return app;
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m: ConsoleMessage) => {
    // The refused publish of the bad folder is a 400 on purpose; Chromium logs every 4xx fetch.
    const expected = m.location().url.endsWith('/api/app/publish') && m.text().includes('status of 400');
    if (m.type() === 'error' && !expected) consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return page;
}

beforeAll(async () => {
  if (!existsSync(join(BUILT_RENDERER, 'index.html'))) throw new Error('The UI is not built: run `npm run build:renderer` first (npm test does).');
  sandbox = await testSandbox();
  programDir = await tempDir('cohort-quad-');
  await cp(QUADRATIC, programDir, { recursive: true });
  // A setup as cheap as it gets, so that the Set up button shows and runs (with network, sandboxed).
  const task = await readFile(join(programDir, 'TASK.md'), 'utf8');
  await writeFile(join(programDir, 'TASK.md'), task.replace('\nrun: ', `\nsetup: '${SETUP}'\nrun: `));
  badDir = await tempDir('cohort-bad-');
  await mkdir(badDir, { recursive: true });
  await writeFile(join(badDir, 'TASK.md'), '---\nname: broken\nobjective: lower loss\nmetric: loss\ndirection: downwards\n---\nA broken program.\n');
  await writeFile(join(badDir, 'train.py'), 'print("loss: 1.0")\n');
  // Two stand-in GPUs, so that the worker view offers one run per GPU and shows a row per slot.
  const smi = await fakeNvidiaSmi({ query: TWO_H100 });
  dirs.push(dirname(smi));
  const [owner, worker] = await Promise.all([startApp(), startApp({ COHORT_NVIDIA_SMI: smi })]);
  workerApp = worker;
  browser = await launchChromium();
  ownerPage = await newPage();
  workerPage = await newPage();
  await ownerPage.goto(owner.uiUrl);
  await workerPage.goto(worker.uiUrl);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(
    apps.map(
      (a) =>
        new Promise<void>((resolve) => {
          if (a.child.exitCode !== null) return resolve();
          a.child.once('exit', () => resolve());
          a.child.kill('SIGTERM');
        }),
    ),
  );
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('app UI: publish from the UI', () => {
  it('a bad TASK.md shows its error inline, by file, line and field', async () => {
    await ownerPage.getByTestId('tab-owner').click();
    await ownerPage.getByTestId('program-dir').fill(badDir);
    await ownerPage.getByTestId('publish').click();
    const issue = ownerPage.getByTestId('publish-issue').first();
    await issue.waitFor();
    expect(await issue.getAttribute('data-line')).toBe('5');
    expect(await issue.getAttribute('data-field')).toBe('direction');
    expect(await issue.textContent()).toMatch(/TASK\.md:5.*direction/);
    expect(await ownerPage.getByTestId('program-dir').getAttribute('aria-invalid')).toBe('true');
    await ownerPage.screenshot({ path: join(ARTIFACTS, 'app-publish-error.png'), fullPage: true });
  });

  it('a valid folder is published: the owner view of the program takes its place', async () => {
    await ownerPage.getByTestId('program-dir').fill(programDir);
    await ownerPage.getByTestId('publish').click();
    await ownerPage.getByTestId('public-url').waitFor({ timeout: 15_000 });
    await ownerPage.getByRole('heading', { name: 'quadratic' }).waitFor();
    publicUrl = ((await ownerPage.getByTestId('public-url').textContent()) ?? '').match(/http:\/\/127\.0\.0\.1:\d+/)?.[0] ?? '';
    expect(publicUrl).not.toBe('');
    expect(await ownerPage.getByTestId('tab-owner').textContent()).toContain('quadratic');
    expect(await ownerPage.getByTestId('tunnel').getAttribute('data-state')).toBe('off');
    // What members receive, from the publish response: the example's two files.
    expect(await ownerPage.getByTestId('shipped-files').textContent()).toMatch(/What members receive\s*2 files, [\d.]+ KiB.*TASK\.md.*train\.py/);
    await ownerPage.screenshot({ path: join(ARTIFACTS, 'app-owner-published.png'), fullPage: true });
  });
});

describe('app UI: the worker view', () => {
  async function askToJoin(name: string): Promise<string> {
    await workerPage.getByTestId('join-url').fill(publicUrl);
    await workerPage.getByTestId('join-name').fill(name);
    await workerPage.getByTestId('join-submit').click();
    const code = workerPage.getByTestId('join-code');
    await code.waitFor({ timeout: 15_000 });
    const text = ((await code.textContent()) ?? '').trim();
    expect(text).toMatch(/^[B-Z]{4}-[B-Z]{4}$/);
    await expect.poll(async () => (await workerPage.getByTestId('join-countdown').textContent()) ?? '').toMatch(/expires in (9|10):\d\d/);
    return text;
  }

  it('Deny on the owner\'s card shows up in the worker view', async () => {
    await workerPage.getByTestId('tab-worker').click();
    await workerPage.getByTestId('machine').waitFor();
    await workerPage.screenshot({ path: join(ARTIFACTS, 'app-worker-empty.png'), fullPage: true });
    const code = await askToJoin('grace-denied');
    await workerPage.screenshot({ path: join(ARTIFACTS, 'app-worker-join-code.png'), fullPage: true });
    const card = ownerPage.getByTestId('join-request').filter({ hasText: code });
    await card.waitFor({ timeout: 15_000 });
    await card.getByTestId('deny').click();
    const result = workerPage.getByTestId('join-result');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.getAttribute('data-state')).toBe('denied');
    expect(await result.textContent()).toMatch(/denied/);
  }, 60_000);

  it('Approve lets the worker in; a run shows live output and chart, the host\'s verdict, and the champion; the owner sees it live', async () => {
    const code = await askToJoin('grace');
    const card = ownerPage.getByTestId('join-request').filter({ hasText: code });
    await card.waitFor({ timeout: 15_000 });
    await card.getByTestId('approve').click();
    await workerPage.getByTestId('join-result').and(workerPage.locator('[data-state="approved"]')).waitFor({ timeout: 15_000 });
    await workerPage.getByTestId('run-start').waitFor();

    // The workspace is there at once, with the champion's code to edit, and says what Run does with it.
    const workspace = workerPage.getByTestId('join-workspace').and(workerPage.locator('[data-state="ready"]'));
    await workspace.waitFor({ timeout: 15_000 });
    const dir = ((await workerPage.getByTestId('join-workspace-dir').textContent()) ?? '').trim();
    expect(await readFile(join(dir, 'train.py'), 'utf8')).toBe(await readFile(join(programDir, 'train.py'), 'utf8'));
    expect(await workspace.textContent()).toMatch(/Edit train\.py there.*runs python3 train\.py on it, sandboxed/);
    await workerPage.screenshot({ path: join(ARTIFACTS, 'app-worker-joined.png'), fullPage: true });

    // Set up runs only the program's setup; it says so while it runs and when done, and nothing is submitted.
    await workerPage.getByTestId('setup-start').click();
    await workerPage.getByTestId('setup-state').and(workerPage.locator('[data-state="done"]')).waitFor({ timeout: 30_000 });
    await expect.poll(() => workerPage.getByTestId('run-state').textContent(), { timeout: 15_000 }).toBe('Setup finished (done).');
    expect(await workerPage.getByTestId('setup-state').textContent()).toContain(SETUP);
    expect(await workerPage.getByTestId('submission-row').count()).toBe(0);

    await workerPage.getByTestId('run-hypothesis').fill(HYPOTHESIS);
    await workerPage.getByTestId('run-start').click();
    await workerPage.getByTestId('live-output').getByText(/val_loss:/).waitFor({ timeout: 30_000 });
    await expect.poll(async () => Number(await workerPage.getByTestId('run-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(1);
    expect(await workerPage.getByTestId('run-chart').getAttribute('data-series')).toBe('loss');

    const row = workerPage.getByTestId('submission-row');
    await row.first().waitFor({ timeout: 30_000 });
    expect(await row.first().getAttribute('data-status')).toBe('keep');
    // The typed hypothesis went with the result; the row shows it beside the verdict and the claim's verification.
    expect(await row.first().getByTestId('submission-hypothesis').textContent()).toBe(HYPOTHESIS);
    // The example has no `verify`, so a keep is taken as claimed: the badge says so.
    expect(await row.first().getByTestId('verification').getAttribute('data-state')).toBe('unverified');
    const id = await row.first().getAttribute('data-id');
    await expect.poll(() => workerPage.getByTestId('champion').getAttribute('data-id'), { timeout: 15_000 }).toBe(id);
    await expect.poll(() => workerPage.getByTestId('run-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('finished');
    expect(await workerPage.getByTestId('sandbox').getAttribute('data-sandboxed')).toBe(String(sandbox.usable));
    expect(await workerPage.getByTestId('lineage').textContent()).toMatch(/original code/);
    await workerPage.screenshot({ path: join(ARTIFACTS, 'app-worker-after-run.png'), fullPage: true });

    // The owner's leaderboard and chart got it without a reload.
    await ownerPage.getByTestId('result-row').first().waitFor({ timeout: 15_000 });
    await expect.poll(() => ownerPage.getByTestId('champion').getAttribute('data-id')).toBe(id);
    await expect.poll(() => ownerPage.getByTestId('chart').getAttribute('data-points')).toBe('1');
    await ownerPage.getByTestId('member-row').getByText('grace', { exact: true }).waitFor();
    // One number format per metric: the champion's value reads the same in both views.
    const valueIn = (page: Page) => page.getByTestId('champion').locator('.champion-value .mono').first().textContent();
    await expect.poll(async () => (await valueIn(workerPage)) === (await valueIn(ownerPage))).toBe(true);
    expect(await valueIn(workerPage)).toMatch(/^-?\d+\.\d+$/);
  }, 90_000);

  it('a loop with one run per GPU keeps its options, slots and hypothesis across a reload and in a second tab', async () => {
    await workerPage.getByTestId('run-loop').check();
    await workerPage.getByTestId('run-propose').check();
    await workerPage.getByTestId('gpu-choice').selectOption('all');
    await workerPage.getByTestId('run-start').click();
    await expect.poll(() => workerPage.getByTestId('slot-row').count(), { timeout: 15_000 }).toBe(2);
    // The proposer's hypothesis for the followed slot's run: the field shows it once the first is proposed.
    await expect.poll(() => workerPage.getByTestId('run-hypothesis').inputValue(), { timeout: 30_000 }).not.toBe('');

    const check = async (page: Page) => {
      await page.getByTestId('run-state').and(page.locator('[data-state="running"]')).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('run-state').textContent()).toMatch(/^Loop of quadratic on 2 slots/);
      expect(await page.getByTestId('run-loop').isChecked()).toBe(true);
      expect(await page.getByTestId('run-loop').isDisabled()).toBe(true);
      expect(await page.getByTestId('run-propose').isChecked()).toBe(true);
      expect(await page.getByTestId('gpu-choice').inputValue()).toBe('all');
      expect(await page.getByTestId('run-hypothesis').inputValue()).not.toBe('');
      expect(await page.getByTestId('slot-row').count()).toBe(2);
      expect(await page.getByTestId('sandbox').getAttribute('data-sandboxed')).toBe(String(sandbox.usable));
      await page.getByTestId('submission-hypothesis').filter({ hasText: HYPOTHESIS }).waitFor({ timeout: 15_000 });
    };
    await workerPage.reload();
    await check(workerPage);
    for (const width of [1400, 700]) {
      await workerPage.setViewportSize({ width, height: 900 });
      await workerPage.screenshot({ path: join(ARTIFACTS, `app-worker-loop-${width}.png`), fullPage: true });
    }
    await workerPage.setViewportSize({ width: 1280, height: 900 });

    const second = await newPage();
    try {
      await second.goto(workerApp.uiUrl);
      await second.getByTestId('tab-worker').click();
      await check(second);
    } finally {
      await second.close();
    }

    await workerPage.getByTestId('run-stop').click();
    await expect.poll(() => workerPage.getByTestId('run-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('finished');
    // Stopped, the form is the person's again: the next run's options, not the loop's.
    expect(await workerPage.getByTestId('run-loop').isDisabled()).toBe(false);
  }, 90_000);

  it('is readable in dark mode', async () => {
    await workerPage.emulateMedia({ colorScheme: 'dark' });
    await workerPage.screenshot({ path: join(ARTIFACTS, 'app-worker-dark.png'), fullPage: true });
    expect(await workerPage.evaluate('getComputedStyle(document.body).backgroundColor')).not.toBe('rgb(255, 255, 255)');
  });

  it('the pages logged no errors (CSP violations included)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
