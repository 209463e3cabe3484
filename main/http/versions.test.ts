/** Versions interoperate (docs/host.md, "Versions"): the host states its protocol and takes a newer worker's results. */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../protocol/index.ts';
import { call, joinMember, startTestHost, type TestHost } from '../testing/harness.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

describe('protocol versions', () => {
  it('/healthz and GET /api/task state the protocol version', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    expect((await call(host.publicUrl, '/healthz')).body).toMatchObject({ ok: true, protocol: PROTOCOL_VERSION });
    expect((await call(host.publicUrl, '/api/task', { token: ada.token })).body).toMatchObject({ protocol: PROTOCOL_VERSION });
  });

  it('a result with fields this host does not know is accepted (201) and the fields are named in warnings', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const res = await call<{ result: { value: number; status: string }; warnings?: string[] }>(host.publicUrl, '/api/results', {
      token: ada.token,
      json: { value: 3, hypothesis: 'from a newer worker', energy_joules: 12.5, provenance: { signed: true } },
      headers: { 'cohort-protocol': '2' },
    });
    expect(res.status).toBe(201);
    expect(res.body.result).toMatchObject({ value: 3, status: 'keep' });
    expect(res.body.warnings).toEqual([
      `unknown field "energy_joules" ignored: this host speaks protocol ${PROTOCOL_VERSION}`,
      `unknown field "provenance" ignored: this host speaks protocol ${PROTOCOL_VERSION}`,
    ]);
    // Nothing of the unknown fields is kept; a result without them has no warnings at all.
    const plain = await call<{ warnings?: string[] }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 2.9 } });
    expect(plain.status).toBe(201);
    expect(plain.body.warnings).toBeUndefined();
    expect(JSON.stringify(await host.kb.results())).not.toMatch(/energy_joules|provenance/);
  });

  it('the known fields are checked as before, and a field only the host sets is still refused', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const bad = await call<{ error: string; message: string }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 'fast', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_result', message: expect.stringMatching(/^The result is invalid: value: /) });
    const long = await call<{ error: string }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, hypothesis: 'x'.repeat(4001), extra: 1 } });
    expect(long.status).toBe(400);
    for (const field of ['member', 'champion', 'status', 'impact']) {
      const claim = await call<{ error: string; message: string }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, [field]: 'x' } });
      expect(claim.status).toBe(400);
      expect(claim.body).toMatchObject({ error: 'invalid_result', message: expect.stringContaining(`"${field}" is set by the host, never by a member`) });
    }
    expect(await host.kb.results()).toHaveLength(0);
  });

  it('names at most 8 unknown fields one by one, quoting and shortening hostile names', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const extra = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}${i === 0 ? `\u001b[2J${'k'.repeat(100)}` : ''}`, i]));
    const res = await call<{ warnings: string[] }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, ...extra } });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toHaveLength(9);
    expect(res.body.warnings[0]).toMatch(/^unknown field "f0\\u001b\[2Jk{58}…" ignored/);
    expect(res.body.warnings[8]).toBe(`2 more unknown field(s) ignored: this host speaks protocol ${PROTOCOL_VERSION}`);
  });
});
