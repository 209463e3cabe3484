import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost } from '../host.ts';
import { call, lrPatch, sampleProgram, tempHome, type TempHome } from '../testing/harness.ts';

const HOST_PROCESS = fileURLToPath(new URL('../testing/host-process.ts', import.meta.url));
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

async function openJoin(publicUrl: string, name: string): Promise<string> {
  const auth = await call<{ device_code: string }>(publicUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', name } });
  const tok = await call<{ access_token: string }>(publicUrl, '/oauth/token', { form: { grant_type: GRANT, device_code: auth.body.device_code, client_id: 'cohort-worker' } });
  return tok.body.access_token;
}

interface Acked {
  id: string;
  key: string;
  value: number;
  status: string;
}

describe('durability', () => {
  it('keeps every acknowledged submission when the host is SIGKILLed mid-stream, and nothing half-written', async () => {
    home = await tempHome();
    const child = spawn(process.execPath, [HOST_PROCESS, home.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { publicUrl, kbFile } = JSON.parse(line) as { publicUrl: string; kbFile: string };

    const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => openJoin(publicUrl, `w${i}`)));
    const acked: Acked[] = [];
    let counter = 0;
    let killed = false;
    const loops = tokens.map(async (token) => {
      while (!killed) {
        const n = counter++;
        const key = `k${n}`;
        const value = 3 - n / 1000 + (n % 7) / 100;
        try {
          const res = await fetch(`${publicUrl}/api/results`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ value, idempotency_key: key, patch: lrPatch(`0.${n + 1}`), hypothesis: `lr 0.${n + 1}` }),
          });
          if (res.status === 201) {
            const { result } = (await res.json()) as { result: { id: string; status: string } };
            acked.push({ id: result.id, key, value, status: result.status });
          }
        } catch {
          return; // the host is gone
        }
        if (acked.length >= 300 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    await Promise.all(loops);
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    expect(child.signalCode).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(300);

    // The file is consistent on its own, before the host touches it again.
    const db = new DatabaseSync(kbFile);
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    const orphans = db.prepare("SELECT count(*) AS n FROM results r WHERE r.champion = 1 AND NOT EXISTS (SELECT 1 FROM champion_files f WHERE f.result_id = r.id)").get() as { n: number };
    expect(orphans.n).toBe(0);
    db.close();

    const host = await startHost({ program: sampleProgram({ pool: 100 }), paths: home.paths, writeState: false });
    try {
      const results = await host.kb.results();
      const byId = new Map(results.map((r) => [r.id, r]));
      for (const a of acked) {
        const r = byId.get(a.id);
        expect(r, `acknowledged ${a.id} is missing`).toBeDefined();
        expect(r).toMatchObject({ value: a.value, status: a.status, hypothesis: expect.stringMatching(/^lr 0\.\d+$/) });
      }
      // Sequence numbers have no holes: batches are all or nothing.
      expect(results.map((r) => r.seq)).toEqual(results.map((_, i) => i + 1));
      const champion = host.kb.champion();
      const best = results.filter((r) => r.champion).at(-1);
      expect(champion?.id).toBe(best?.id);
      expect(host.kb.championCode().find((f) => f.path === 'train.py')?.content).toContain('LEARNING_RATE = 0.');
    } finally {
      await host.close();
    }
  }, 60_000);
});
