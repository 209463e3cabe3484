/**
 * The desktop app, when this machine has an Electron binary (ELECTRON_OVERRIDE_DIST_PATH or
 * node_modules/electron/dist): the built shell (`npm run build:electron`) publishes a program given
 * with `--program`, the window shows it with the token from the preload bridge (none in the URL), a
 * real `cohort join` shows up as a join request card, and Approve lets the worker in.
 * Without a binary (Electron cannot be downloaded here) the spec is skipped and says so.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readHostState } from '../main/state-file.ts';
import { cohortPaths } from '../protocol/node/paths.ts';
import { findElectronBinary } from '../scripts/electron-binary.ts';
import { ARTIFACTS } from './browser.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COHORT = join(ROOT, 'cli/cohort.ts');
const QUADRATIC = join(ROOT, 'examples/quadratic');
const binary = findElectronBinary();
if (binary === null) console.log('skipped: no Electron binary (set ELECTRON_OVERRIDE_DIST_PATH, or install electron where it can be downloaded)');

let electronApp: ElectronApplication | undefined;
const homes: string[] = [];

afterAll(async () => {
  await electronApp?.close();
  for (const dir of homes) await rm(dir, { recursive: true, force: true });
});

describe('desktop app (Electron)', () => {
  it.skipIf(binary === null)('publishes a program; a join request card appears; Approve lets the worker in', async () => {
    for (const built of ['.vite/build/main.cjs', '.vite/build/preload.cjs', 'renderer/dist/index.html']) {
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build:renderer && npm run build:electron\` first (npm test does).`);
    }
    const ownerHome = await mkdtemp(join(tmpdir(), 'cohort-electron-'));
    const workerHome = await mkdtemp(join(tmpdir(), 'cohort-electron-worker-'));
    homes.push(ownerHome, workerHome);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    electronApp = await _electron.launch({
      executablePath: binary!,
      args: [ROOT, '--program', QUADRATIC, '--no-sandbox', '--disable-gpu'],
      env: { ...env, COHORT_HOME: ownerHome },
      timeout: 60_000,
    });
    const page: Page = await electronApp.firstWindow();
    await page.getByText('quadratic').first().waitFor({ timeout: 30_000 });
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate('typeof window.cohort?.ownerToken')).toBe('function');
    expect(await page.evaluate('typeof require')).toBe('undefined');

    const state = await readHostState(cohortPaths({ COHORT_HOME: ownerHome }));
    const child = spawn(process.execPath, [COHORT, 'join', state.publicUrl, '--name', 'ada'], {
      env: { ...process.env, COHORT_HOME: workerHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit');

    const card = page.getByTestId('join-request').filter({ hasText: 'ada' });
    await card.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'electron-join-request.png') });
    await card.getByTestId('approve').click();
    const [code] = await exited;
    expect(code, out).toBe(0);
    expect(out).toMatch(/Approved/);
    await page.getByTestId('member-row').getByText('ada', { exact: true }).waitFor();

    // The same window has the worker's view: this machine, ready to join a program.
    await page.getByTestId('tab-worker').click();
    await page.getByTestId('machine').waitFor({ timeout: 15_000 });
    await page.getByTestId('join-url').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'electron-worker.png') });
  }, 120_000);
});
