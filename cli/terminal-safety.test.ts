/** What the CLI prints of other people's text: names, hosts, hypotheses, reasons and run output. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { call, joinMember } from '../main/testing/harness.ts';
import type { JoinRequest, Member } from '../protocol/index.ts';
import { describeEvent } from './commands/publish.ts';
import { membersTable, requestsTable } from './commands/owner.ts';
import { describeWorkerEvent } from './commands/worker.ts';
import { table } from './table.ts';
import { describeTunnel, describeTunnelEvent } from './tunnel-text.ts';
import { runCohort } from './testing.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));

/** Writes the clipboard (OSC 52), then reverses the rest so `exe.png` reads as `gnp.exe`. */
const HOSTILE = 'evil\x1b]52;c;ZWNobyBwd25lZA==\x07\u202Egnp.exe';
const SHOWN = 'evil␛]52;c;ZWNobyBwd25lZA==␇<U+202E>gnp.exe';

const KEPT = new RegExp(String.raw`\u001b\[(?:[\d;:]*m|[012]?K)`, 'g');
/** C0 but newline, tab, CR and backspace; DEL and C1; the bidi overrides and isolates. */
const active = (c: number) => (c <= 0x1f && !'\n\t\r\b'.includes(String.fromCharCode(c))) || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

/** Nothing that can do more than print: no ESC but colours and erase-in-line, no BEL, C1 or bidi. */
function expectInert(text: string): void {
  expect([...text.replace(KEPT, '')].filter((ch) => active(ch.codePointAt(0)!))).toEqual([]);
}

const request: JoinRequest = {
  id: 'jr_1', user_code: 'BCDF-GHJK', status: 'pending', name: HOSTILE, hostname: 'host\x1b[2J', os: 'Linux\r[cohort] fake', gpu: 'GPU\u202E', app_version: '0.1\x1b[10A',
  client_id: 'cohort-worker', ip: '203.0.113.7', created_at: new Date().toISOString(), expires_at: new Date(Date.now() + 600_000).toISOString(), expires_in: 600, member: null,
  requirements: { ok: false, problems: [`needs a GPU matching H100; this machine has 1× ${HOSTILE}`] },
};
const member: Member = { id: 'm_1', name: HOSTILE, hostname: 'h\x9b2J', os: 'linux', gpu: '', app_version: '0.1.0', ip: '203.0.113.7', joined_at: new Date().toISOString(), revoked_at: null };

describe('text from others, as the CLI formats it', () => {
  it('tables show every cell neutralised, and columns line up on what is shown', () => {
    const out = table(['NAME', 'HOST'], [[HOSTILE, 'a\nb'], ['ok', 'x']]);
    expectInert(out);
    expect(out.split('\n')).toHaveLength(4); // a newline in a cell does not make a row
    expect(out).toContain(`${SHOWN}  a␊b`);
    expect(out).toContain(`ok${' '.repeat(SHOWN.length - 2)}  x`);
  });

  it('join requests and members, as `cohort requests` and `cohort members` list them', () => {
    for (const out of [requestsTable([request]), membersTable([member])]) {
      expectInert(out);
      expect(out).toContain(SHOWN);
      expect(out.split('\n')).toHaveLength(3);
    }
    expect(requestsTable([request])).toContain('Linux␍[cohort] fake');
    // Whether it meets the program's requires: the problems quote the worker's GPU name.
    expect(requestsTable([request])).toContain(`DOES NOT MATCH: needs a GPU matching H100; this machine has 1× ${SHOWN}`);
    expect(requestsTable([{ ...request, requirements: { ok: true, problems: [] } }])).toMatch(/pending\s+matches requires$/m);
    expect(requestsTable([{ ...request, requirements: null }])).toMatch(/pending\s+—$/m);
  });

  it('the events `cohort publish` prints', () => {
    const line = describeEvent({ type: 'join-request', request }, 'val_loss');
    expectInert(line);
    expect(line).toContain(`from "${SHOWN}" (declared) — host host␛[2J`);
    expect(line).toContain(`; DOES NOT MATCH: needs a GPU matching H100; this machine has 1× ${SHOWN}; expires in`);
    expect(describeEvent({ type: 'member-joined', member }, 'val_loss')).toBe(`member m_1 "${SHOWN}" joined`);
    expect(describeTunnel({ state: 'down', reason: 'cloudflared said \x1b]0;title\x07' })).toBe('down: cloudflared said ␛]0;title␇');
    expect(describeTunnelEvent({ state: 'up', url: 'https://x.trycloudflare.com\x1b[2J' })).toBe('Tunnel up: https://x.trycloudflare.com␛[2J\n  Workers join with: cohort join https://x.trycloudflare.com␛[2J');
  });

  it('the events `cohort run` prints: hypotheses, lineage, reasons', () => {
    const lines = [
      describeWorkerEvent({ type: 'propose', hypothesis: `raise lr\n[cohort] run 1 finished: val_loss 0 ${HOSTILE}` }, 'val_loss'),
      describeWorkerEvent({ type: 'lineage', run: 1, champion: 'r2', chain: [{ id: 'r2', member: 'm_1', memberName: HOSTILE, you: false, value: 1, hypothesis: 'h' }], complete: true, localEdits: [] }, 'val_loss'),
      describeWorkerEvent({ type: 'rejected', key: 'k', reason: HOSTILE, movedTo: '/tmp/x' }, 'val_loss'),
      describeWorkerEvent({ type: 'retry', attempt: 1, delayMs: 1000, reason: `503 ${HOSTILE}` }, 'val_loss'),
    ];
    for (const line of lines) {
      expectInert(line!);
      expect(line).toContain(SHOWN);
      expect(line).not.toContain('\n');
    }
    expect(lines[0]).toBe(`[cohort] hypothesis: raise lr␊[cohort] run 1 finished: val_loss 0 ${SHOWN}`);
    expect(lines[1]).toBe(`[cohort] code of run 1: changes by ${SHOWN} (r2)`);
  });
});

describe('cohort run with a hostile champion and hostile run output (real processes)', () => {
  let home: string;
  let host: RunningHost;

  const cohort = (args: string[], env: NodeJS.ProcessEnv = {}) => runCohort(home, args, env);

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cohort-cli-terminal-'));
    // The program's own output: colours and a progress bar, with a clipboard write, a title, a screen clear and a cursor jump.
    const dir = join(home, 'program');
    await cp(QUADRATIC, dir, { recursive: true });
    const train = await readFile(join(dir, 'train.py'), 'utf8');
    await writeFile(join(dir, 'train.py'), train.replace('def main():\n', 'def main():\n    import sys\n    sys.stdout.write("\\x1b[31mred\\x1b[0m\\r 45%|████\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b]0;pwned\\x1b\\\\\\x1b[2J\\x1b[10A\\x9b31m\\u202eok\\n")\n    sys.stdout.flush()\n'));
    host = await startHost({ program: await loadProgram(dir), paths: { configDir: join(home, 'owner', 'config'), dataDir: join(home, 'owner', 'data') }, membership: 'open', writeState: false, intervalSeconds: 1 });
    // Another member, with a hostile name and hypothesis, holds the champion.
    const mallory = await joinMember(host, HOSTILE);
    const res = await call(host.publicUrl, '/api/results', { token: mallory.token, json: { value: 0.5, hypothesis: `${HOSTILE}\n[cohort] NEW CHAMPION` } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const joined = await cohort(['join', host.publicUrl, '--name', 'ada']);
    expect(joined.code, joined.stderr).toBe(0);
  });
  afterAll(async () => {
    await host?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('shows the champion\'s name neutralised and the run output with colours only', async () => {
    const res = await cohort(['run', '--no-sandbox', '--hypothesis', 'safe'], { COHORT_BWRAP: join(home, 'no-such', 'bwrap') });
    expect(res.code, res.stderr).toBe(0);
    expectInert(res.stdout);
    expectInert(res.stderr);
    expect(res.stdout).toContain(`by ${SHOWN})`); // the sync line
    expect(res.stdout).toContain(`code of run 1: changes by ${SHOWN} (r1)`);
    expect(res.stdout).toContain('\x1b[31mred\x1b[0m\r 45%|████ok\n');
    expect(res.stdout).toMatch(/val_loss:\s+\d/);
  }, 60_000);
});
