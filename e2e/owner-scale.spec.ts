/**
 * The owner view on a KB of 100 000 results (main/testing/big-kb.ts), in Chromium against a real
 * host: it paints in under a second, a filter's new rows show within 200 ms of the change, and no
 * request fetches all results (every listing is a page of summaries, no response over RESPONSE_MAX).
 * The figures are logged and written up in docs/benchmarks.md, "The owner view at 100 000 results".
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_RENDERER, startHost, type RunningHost } from '../main/host.ts';
import { buildBigKb, type BigKb } from '../main/testing/big-kb.ts';
import { filterKey, HISTORY_PAGE, type HistoryFilter } from '../renderer/src/owner-data/history-filter.ts';
import { ARTIFACTS, launchChromium } from './browser.ts';

const N = 100_000;
/** Every 9 000th result's hypothesis has the word: 3 of them among the latest 20 000 (r81000, r90000, r99000). */
const RARE_EVERY = 9_000;
const RARE = (seq: number) => (seq % RARE_EVERY === 0 ? `try the zebra schedule, warm restarts every ${seq % 7} epochs` : undefined);

/** The targets of issue 14. */
const FIRST_PAINT_MS = 1_000;
const FILTER_MS = 200;
/** No response larger than this: a page of 100 results with their patches is a few tens of KB here; the whole KB is ~70 MB. */
const RESPONSE_MAX = 1024 * 1024;
/** Largest `limit` a listing of results may ask for: the feed's page is HISTORY_PAGE. */
const LIMIT_MAX = 100;
/** A feed page of HISTORY_PAGE summaries (no patch, no output: `fields=summary`) stays under this, whatever members sent. */
const FEED_PAGE_MAX = 64 * 1024;

interface Exchange {
  url: string;
  bytes: number;
  ms: number;
}

let home = '';
let big: BigKb;
let host: RunningHost;
let browser: Browser;
let page: Page;
const exchanges: Exchange[] = [];
const requested: string[] = [];
const errors: string[] = [];
const figures: Record<string, number> = {};

const log = (name: string, ms: number) => {
  figures[name] = Math.round(ms);
  console.log(`[owner-scale] ${name}: ${Math.round(ms)} ms`);
};

/**
 * Page-side scripts are strings: this project's Node typings have no DOM. The first paint: polled
 * each animation frame from the page's start, `window.__ownerPainted` is performance.now() (origin:
 * the navigation's start) at the first frame with a leaderboard row and the chart's canvas on screen.
 */
const PAINT_PROBE = `(() => {
  const visible = (el) => el !== null && el.getBoundingClientRect().height > 0;
  const tick = () => {
    if (visible(document.querySelector('[data-testid="board-row"]')) && visible(document.querySelector('[data-testid="chart"] canvas'))) {
      window.__ownerPainted = performance.now();
      performance.mark('owner-first-paint');
    } else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

/** Arms `window.__timing` (see `timed`). */
const timingProbe = (event: string, target: { selector: string; attr: string; value: string }) => `(() => {
  const { selector, attr, value } = ${JSON.stringify(target)};
  window.__timing = new Promise((resolve) => {
    document.addEventListener(${JSON.stringify(event)}, () => {
      const t0 = performance.now();
      const tick = () => {
        const el = document.querySelector(selector);
        if (el !== null && el.getAttribute(attr) === value && el.getAttribute('aria-busy') !== 'true') resolve(performance.now() - t0);
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, { capture: true, once: true });
  });
})()`;

beforeAll(async () => {
  if (!existsSync(join(BUILT_RENDERER, 'index.html'))) throw new Error('The UI is not built: run `npm run build:renderer` first (npm test does).');
  home = await mkdtemp(join(tmpdir(), 'cohort-scale-'));
  const paths = { configDir: join(home, 'config'), dataDir: join(home, 'data') };
  big = await buildBigKb({ paths, results: N, members: 20, hypothesis: RARE });
  const t0 = performance.now();
  host = await startHost({ program: big.program, paths, writeState: false });
  console.log(`[owner-scale] KB of ${N} results built in ${big.ms} ms (${big.champions} champions); host started in ${Math.round(performance.now() - t0)} ms`);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (req) => requested.push(req.url()));
  page.on('requestfinished', (req) => {
    // The event stream never finishes; everything else is measured whole, as the page received it.
    // A response still being read when the browser closes at the end is not one to measure.
    void req
      .response()
      .then(async (res) => {
        if (res === null) return;
        const timing = req.timing();
        exchanges.push({ url: req.url(), bytes: (await res.body()).length, ms: timing.responseEnd });
      })
      .catch(() => undefined);
  });
  await page.addInitScript({ content: PAINT_PROBE });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  if (home !== '') await rm(home, { recursive: true, force: true });
});

/**
 * Arms a timer in the page: from the next `event` (capture phase, before React sees it) to the
 * first animation frame in which `selector`'s `attr` reads `value` (the new rows are in the DOM and
 * go out with that frame). Resolves with the milliseconds, once `act` has fired the event.
 */
async function timed(event: 'change' | 'click' | 'keydown', target: { selector: string; attr: string; value: string }, act: () => Promise<void>): Promise<number> {
  await page.evaluate(timingProbe(event, target));
  await act();
  return Number(await page.evaluate('window.__timing'));
}

const history = (f: HistoryFilter) => ({ selector: '[data-testid="history"]', attr: 'data-filter', value: filterKey(f) });
const rowIds = () => page.locator('[data-testid="history-list"] [data-testid="result-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
const shownLine = () => page.getByTestId('history-shown').textContent();

describe(`the owner view at ${N} results`, () => {
  it(`paints the leaderboard and the chart in under ${FIRST_PAINT_MS} ms`, async () => {
    const t0 = performance.now();
    await page.goto(host.ownerUiUrl);
    // A function, not a string: the page's CSP refuses eval, which a string predicate needs.
    await page.waitForFunction(() => (globalThis as { __ownerPainted?: number }).__ownerPainted !== undefined, undefined, { timeout: 15_000 });
    const fromOutside = performance.now() - t0;
    const painted = Number(await page.evaluate('window.__ownerPainted'));
    log('first paint (navigation start to board rows and chart plot visible, in the page)', painted);
    log('first paint (page.goto to the same, from the test)', fromOutside);
    expect(painted).toBeLessThan(FIRST_PAINT_MS);
    expect(await page.getByTestId('history-list').getAttribute('data-count')).toBe(String(HISTORY_PAGE));
    expect(await rowIds().then((ids) => ids[0])).toBe(`r${N}`);
    for (const width of [1400, 700]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: join(ARTIFACTS, `owner-scale-${width}.png`), fullPage: true });
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
  }, 30_000);

  it(`shows the leaderboard's other view within ${FILTER_MS} ms, exact from the host`, async () => {
    const board = (view: string) => ({ selector: '[data-testid="leaderboard"]', attr: 'data-view', value: view });
    const toggle = (name: string) => page.getByTestId('board-view').getByRole('button', { name });
    const members = await timed('click', board('members'), () => toggle('Best per member').click());
    log('leaderboard: All results → Best per member (first time: fetched)', members);
    // One row per member, each a different member, best first (the host's ranking of the whole KB).
    const rows = page.getByTestId('board-row');
    const owners = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-member')));
    expect(new Set(owners).size).toBe(owners.length);
    expect(owners.length).toBe(20);
    const back = await timed('click', board('results'), () => toggle('All results').click());
    log('leaderboard: Best per member → All results (held, fetched again behind)', back);
    expect(members).toBeLessThan(FILTER_MS);
    expect(back).toBeLessThan(FILTER_MS);
  });

  it(`shows a feed page within ${FILTER_MS} ms of a filter change, and pages with Load more`, async () => {
    const member = big.members[3]!;
    const status = await timed('change', history({ status: 'keep' }), () => page.getByTestId('history-status').selectOption('keep').then(() => undefined));
    log('history: status any → keep', status);
    const byMember = await timed('change', history({ status: 'keep', member }), () => page.getByTestId('history-member').selectOption(member).then(() => undefined));
    log('history: + member', byMember);
    const cleared = await timed('change', history({ member }), () => page.getByTestId('history-status').selectOption('').then(() => undefined));
    log('history: status keep → any (one member)', cleared);
    const all = await timed('change', history({}), () => page.getByTestId('history-member').selectOption('').then(() => undefined));
    log('history: member → anyone (unfiltered)', all);
    const more = await timed('click', { selector: '[data-testid="history-list"]', attr: 'data-count', value: String(2 * HISTORY_PAGE) }, () => page.getByTestId('load-more').click());
    log('history: Load more (second page)', more);
    expect(await rowIds().then((ids) => ids.at(-1))).toBe(`r${N - 2 * HISTORY_PAGE + 1}`);
    for (const ms of [status, byMember, cleared, all, more]) expect(ms).toBeLessThan(FILTER_MS);
  });

  it('searches the hypotheses a bounded stretch at a time, says how far it looked, and searches further on demand', async () => {
    const q = page.getByTestId('history-q');
    await q.fill('zebra');
    const searched = await timed('keydown', history({ q: 'zebra' }), () => q.press('Enter'));
    log('history: hypothesis search "zebra" (Enter; the 20 000 latest examined)', searched);
    expect(await rowIds()).toEqual(['r99000', 'r90000', 'r81000']);
    expect(await shownLine()).toMatch(/^Searched the latest 20\s000 results: 3 matches so far$/);
    const further = page.getByTestId('search-further');
    await further.click();
    await expect.poll(rowIds).toEqual(['r99000', 'r90000', 'r81000', 'r72000', 'r63000']);
    expect(await shownLine()).toMatch(/^Searched the latest 40\s000 results: 5 matches so far$/);
    await page.screenshot({ path: join(ARTIFACTS, 'owner-scale-search-1400.png'), fullPage: false, clip: (await page.getByTestId('history').boundingBox())! });
    expect(searched).toBeLessThan(FILTER_MS);

    await q.fill('');
    await q.press('Enter');
    const verification = await timed('change', history({ verification: 'reproduced' }), () => page.getByTestId('history-verification').selectOption('reproduced').then(() => undefined));
    log('history: verification any → reproduced (none match: 20 000 examined)', verification);
    expect(await shownLine()).toMatch(/^Searched the latest 20\s000 results: no match so far$/);
    expect(await page.getByTestId('search-further').count()).toBe(1);
    expect(verification).toBeLessThan(FILTER_MS);
  });

  it('shows how the champion got there, the latest champions first fetched, and a lineage of 100 steps folded', async () => {
    const lineage = page.getByTestId('lineage');
    expect(await lineage.getByTestId('lineage-step').count()).toBe(8);
    expect(await lineage.getByTestId('lineage-all').textContent()).toBe('Show the 92 earlier steps');
    await lineage.getByTestId('lineage-mode').getByRole('button', { name: 'Champions over time' }).click();
    const steps = lineage.getByTestId('champion-step');
    await expect.poll(() => steps.count()).toBe(20);
    expect(await steps.last().getAttribute('data-id')).toBe(big.champion);
    expect(await steps.last().getByTestId('champion-improvement').textContent()).toMatch(/^\d\.\d+ better than r\d+$/);
    expect(await lineage.getByTestId('champions-shown').textContent()).toBe(`The latest 20 of ${big.champions} champions`);
    await lineage.getByTestId('champions-earlier').click();
    await expect.poll(() => steps.count()).toBe(40);
    await page.screenshot({ path: join(ARTIFACTS, 'owner-scale-champions-1400.png'), clip: (await lineage.boundingBox())! });
    // Choosing a champion shows its own path back to the original code.
    await steps.first().getByRole('button').first().click();
    await expect.poll(() => lineage.getAttribute('data-mode')).toBe('lineage');
  });

  it('never fetched all results: every listing a page of summaries under 64 KiB, no response over 1 MiB', async () => {
    await expect.poll(() => exchanges.length).toBeGreaterThan(5);
    const listings = requested.map((u) => new URL(u)).filter((u) => u.pathname === '/api/owner/results');
    expect(listings.length).toBeGreaterThan(0);
    for (const u of listings) {
      const limit = Number(u.searchParams.get('limit'));
      expect(u.searchParams.has('limit'), u.href).toBe(true);
      expect(limit, u.href).toBeLessThanOrEqual(LIMIT_MAX);
      expect(u.searchParams.get('fields'), u.href).toBe('summary');
    }
    const feedPages = exchanges.filter((e) => new URL(e.url).pathname === '/api/owner/results');
    expect(feedPages.length).toBeGreaterThan(0);
    for (const e of feedPages) expect(e.bytes, e.url).toBeLessThan(FEED_PAGE_MAX);
    const largest = exchanges.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    console.log(`[owner-scale] ${requested.length} requests, ${exchanges.length} measured, ${Math.round(exchanges.reduce((s, e) => s + e.bytes, 0) / 1024)} KiB in all; largest ${largest.bytes} B: ${largest.url.replace(/token=[^&]+/, 'token=…')}`);
    for (const e of exchanges) {
      const path = new URL(e.url).pathname + new URL(e.url).search;
      if (path.startsWith('/api/')) console.log(`[owner-scale]   ${String(e.bytes).padStart(8)} B ${Math.round(e.ms).toString().padStart(4)} ms ${path}`);
      expect(e.bytes, e.url).toBeLessThanOrEqual(RESPONSE_MAX);
    }
    console.log(`[owner-scale] figures ${JSON.stringify(figures)}`);
    expect(errors).toEqual([]);
  });
});
