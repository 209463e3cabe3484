/**
 * Hostile input at every endpoint of the public listener (issue #5, docs/hostile-input.md).
 *
 * Each property sends generated requests as raw bytes over loopback to one real host and checks,
 * every time: a 4xx JSON `{error, message}` (never a 5xx, never a stack trace or a path), the KB
 * untouched (KbFingerprint: data_version, WAL/db file stats and a canonical dump), and afterwards
 * that the host still answers /healthz. Valid requests are interleaved as controls: they must be
 * accepted and must change the KB, so a property that could not fail would show.
 *
 * The case counts are in the test titles and in docs/hostile-input.md; keep the three in step.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT, PAGE_LIMITS, PROTOCOL_VERSION } from '../../protocol/index.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, type Joined, type TestHost } from '../testing/harness.ts';
import {
  HUGE_NUMBER_TOKENS,
  NOT_JSON_NUMBERS,
  TRICKY_VALID_NUMBERS,
  GIT_TRICKS,
  couldBeTrainPy,
  diffOf,
  hostilePath,
  invalidUtf8,
  nastyString,
  spliceBytes,
} from '../testing/hostile-arbitraries.ts';
import { expectHandled, expectRefusal, KbFingerprint, rawRequest, type Header, type RawRequest, type RawResponse } from '../testing/hostile.ts';

/** Generated cases per property; the titles below state them. */
const RUNS = {
  results: 500,
  tokens: 100,
  since: 200,
  memberGetJunk: 60,
  health: 150,
  healthJunk: 60,
  discovery: 150,
  discoveryJunk: 60,
  deviceAuthorization: 400,
  token: 400,
  rawBytes: 200,
} as const;

/** A generated request: what it is (for failure messages), the bytes, and the statuses it may get. */
interface Case {
  what: string;
  req: RawRequest;
  statuses?: readonly number[];
  code?: string | RegExp;
}

let host: TestHost;
let kb: KbFingerprint;
let ada: Joined;
let revoked: Joined;
/** Results so far: a valid submission must get the next id, so a refused one cannot have used one up. */
let seq = 0;

beforeAll(async () => {
  // Hundreds of valid submissions from one member are interleaved with the hostile ones: no quota may stop them.
  host = await startTestHost({ program: sampleProgram({ quota: { submissions_per_hour: 1_000_000 } }), limits: { pendingPerIp: 100_000, pendingPerNetwork: 100_000, pendingTotal: 100_000 } });
  ada = await joinMember(host, 'ada');
  revoked = await joinMember(host, 'mallory');
  const res = await call(host.ownerUrl, `/api/owner/members/${revoked.memberId}/revoke`, { method: 'POST', token: host.ownerToken });
  expect(res.status).toBe(200);
  const first = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 3, hypothesis: 'baseline' } });
  expect(first.body.result.id).toBe('r1');
  seq = 1;
  kb = new KbFingerprint(host.kbFile);
});

afterAll(async () => {
  kb?.close();
  await host?.dispose();
});

const auth = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];
const json = (body: unknown, headers: Header[] = []): RawRequest => ({
  method: 'POST',
  headers: [...headers, ['Content-Type', 'application/json']],
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** Sends a case to `path` unless it names its own. */
const at = (path: string) => (c: Case): Case => ({ ...c, req: { path, ...c.req } });

/** Sends a case that must be refused, and checks the refusal and that the KB did not change. */
async function refused(c: Case): Promise<RawResponse> {
  const before = kb.take();
  const res = await rawRequest(host.publicUrl, c.req);
  expectRefusal(res, c.what, c.statuses);
  if (c.code !== undefined) {
    const error = (res.json as { error: string }).error;
    if (typeof c.code === 'string') expect(error, `${c.what} → ${res.text.slice(0, 300)}`).toBe(c.code);
    else expect(error, `${c.what} → ${res.text.slice(0, 300)}`).toMatch(c.code);
  }
  expect(kb.take(), `${c.what}: a refused request changed the KB`).toBe(before);
  return res;
}

/** Sends a request that must be answered without a server error and must not change the KB. */
async function harmless(c: Case): Promise<RawResponse> {
  const before = kb.take();
  const res = await rawRequest(host.publicUrl, c.req);
  expectHandled(res, c.what);
  expect(kb.take(), `${c.what}: a read changed the KB`).toBe(before);
  return res;
}

async function stillHealthy(): Promise<void> {
  const res = await rawRequest(host.publicUrl, { path: '/healthz' });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ ok: true, program: 'sample', protocol: PROTOCOL_VERSION });
}

/** fast-check's own report (seed, path, counterexample) is what makes a failure reproducible. */
async function check<T>(arb: fc.Arbitrary<T>, runs: number, predicate: (t: T) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, predicate), { numRuns: runs });
  await stillHealthy();
}

// ---------------------------------------------------------------------------------------------
// POST /api/results
// ---------------------------------------------------------------------------------------------

/** A body that would be accepted: a value and some of the optional fields. */
const validBody = fc.record(
  {
    value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    hypothesis: fc.string({ unit: 'grapheme', maxLength: 60 }),
    output: fc.string({ maxLength: 60 }),
    hardware: fc.record({ gpu: fc.constantFrom('H100', 'RTX 4090', 'cpu'), count: fc.nat(8) }),
    durations: fc.record({ total_seconds: fc.double({ min: 0, max: 1e4, noNaN: true }) }),
  },
  { requiredKeys: ['value'] },
);

const wrongTypes: [string, unknown][] = [
  ['hypothesis', 42],
  ['hypothesis', ['a']],
  ['hypothesis', { a: 1 }],
  ['patch', 1],
  ['patch', ['--- a/train.py']],
  ['output', false],
  ['hardware', 'H100'],
  ['hardware', ['H100']],
  ['hardware', { gpu: { name: 'H100' } }],
  ['hardware', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]))],
  ['hardware', { ['k'.repeat(65)]: 1 }],
  ['hardware', { gpu: 'x'.repeat(513) }],
  ['durations', { total: '12' }],
  ['durations', { total: null }],
  ['durations', [1, 2]],
  ['parent', 7],
  ['parent', { id: 'r1' }],
  ['parent', 'r'.repeat(65)],
  ['idempotency_key', ''],
  ['idempotency_key', 12],
  ['idempotency_key', 'k'.repeat(201)],
  ['crashed', 'true'],
  ['crashed', 1],
  ['crashed', null],
];

const resultDefects: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(validBody, fc.oneof(nastyString, fc.constantFrom<unknown>(true, false, {}, [], [1], { $numberDouble: '1' }, null))).map(([b, value]) => ({
    what: `value ${JSON.stringify(value)}`,
    req: json({ ...b, value }, [auth(ada.token)]),
    statuses: [400],
    code: /^(invalid_result|bad_request)$/,
  })),
  fc.constantFrom(...HUGE_NUMBER_TOKENS).map((t) => ({ what: `value token ${t.slice(0, 30)}`, req: json(`{"value":${t}}`, [auth(ada.token)]), statuses: [400], code: 'invalid_result' })),
  fc.constantFrom(...NOT_JSON_NUMBERS).map((t) => ({ what: `value text ${t}`, req: json(`{"value":${t}}`, [auth(ada.token)]), statuses: [400], code: 'bad_request' })),
  // Fields only the host sets are refused; other unknown fields (a newer worker's) are accepted and
  // named in warnings: main/http/versions.test.ts.
  fc.tuple(validBody, fc.constantFrom('member', 'worker', 'member_id', 'id', 'status', 'impact', 'champion', 'seq', 'created_at'), nastyString.filter((s) => s.isWellFormed())) // an unpaired surrogate is refused earlier, by the body parser
    .map(([b, key, v]) => ({ what: `host-assigned field ${JSON.stringify(key)}`, req: json({ ...b, [key]: v }, [auth(ada.token)]), statuses: [400], code: 'invalid_result' })),
  fc.tuple(validBody, fc.constantFrom(...wrongTypes)).map(([b, [field, v]]) => ({
    what: `${field}: ${JSON.stringify(v).slice(0, 40)}`,
    req: json({ ...b, [field]: v }, [auth(ada.token)]),
    statuses: [400],
    code: 'invalid_result',
  })),
  fc.tuple(validBody, fc.constantFrom(['hypothesis', 4001], ['output', 8193], ['patch', 512 * 1024 + 1]) as fc.Arbitrary<[string, number]>).map(([b, [field, n]]) => ({
    what: `${field} of ${n} characters`,
    req: json({ ...b, [field]: 'x'.repeat(n) }, [auth(ada.token)]),
    statuses: [400],
    code: 'invalid_result',
  })),
  fc.constant(null).map((): Case => ({ what: 'a body over 1 MiB', req: json({ value: 1, hypothesis: 'x'.repeat(1024 * 1024 + 10) }, [auth(ada.token)]), statuses: [413], code: 'payload_too_large' })),
  fc.tuple(validBody, fc.double({ min: 0, max: 1, noNaN: true }), invalidUtf8).map(([b, at, bad]) => ({
    what: `invalid UTF-8 ${bad.toString('hex')}`,
    req: { ...json(''), headers: [auth(ada.token), ['Content-Type', 'application/json']], body: spliceBytes(JSON.stringify({ ...b, hypothesis: 'abcdef' }), at, bad) },
    statuses: [400],
  })),
  fc.tuple(validBody, fc.constantFrom('\\ud800', '\\udfff', '\\ud800x', 'a\\udbff')).map(([b, s]) => ({
    what: `lone surrogate ${s}`,
    req: json(JSON.stringify({ ...b, hypothesis: 'HYP' }).replace('"HYP"', `"${s}"`), [auth(ada.token)]),
    statuses: [400],
  })),
  fc.tuple(validBody, fc.constantFrom('latin1', 'iso-8859-1', 'utf-16', 'UTF-16LE', 'us-ascii', 'windows-1252', '', 'utf-7', '"utf-32"')).map(([b, cs]) => ({
    what: `charset=${cs}`,
    req: { method: 'POST', headers: [auth(ada.token), ['Content-Type', `application/json; charset=${cs}`]], body: JSON.stringify(b) },
    statuses: [415],
  })),
  fc.tuple(validBody, fc.constantFrom('gzip', 'deflate', 'br', 'x-custom', 'gzip, identity')).map(([b, enc]) => ({
    what: `Content-Encoding ${enc}`,
    req: { method: 'POST', headers: [auth(ada.token), ['Content-Type', 'application/json'], ['Content-Encoding', enc]], body: JSON.stringify(b) },
    statuses: [415],
  })),
  fc.tuple(validBody, fc.constantFrom<string | null>(null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json-patch+json', 'application/xml', 'text/json', 'json')).map(([b, ct]) => ({
    what: `Content-Type ${ct}`,
    req: { method: 'POST', headers: ct === null ? [auth(ada.token)] : [auth(ada.token), ['Content-Type', ct]], body: JSON.stringify(b) },
    statuses: [400, 415],
  })),
  fc.constantFrom('value=1', 'value=1&hypothesis=x', 'value=1&value=2').map((form) => ({ what: `form ${form} under JSON`, req: json(form, [auth(ada.token)]), statuses: [400] })),
  fc.constantFrom('[]', '[{"value":1}]', '"value"', '1', 'null', 'true', '{}').map((body) => ({ what: `top-level ${body}`, req: json(body, [auth(ada.token)]), statuses: [400] })),
  fc.tuple(validBody, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })).map(([b, at]) => {
    const text = JSON.stringify(b);
    return { what: 'truncated JSON', req: json(text.slice(0, Math.floor(at * text.length)), [auth(ada.token)]), statuses: [400] };
  }),
  fc.tuple(validBody, fc.constantFrom('x', '}', ',', '{}', '//c', '/*c*/', '\u0000', 'NaN')).map(([b, tail]) => ({ what: `trailing ${JSON.stringify(tail)}`, req: json(JSON.stringify(b) + tail, [auth(ada.token)]), statuses: [400] })),
  fc.constantFrom("{'value': 1}", '{value: 1}', '{"value": 1,}', '{"value" 1}', '{"value":1 // c\n}').map((body) => ({ what: `not JSON ${body}`, req: json(body, [auth(ada.token)]), statuses: [400] })),
  fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom('top', 'hardware')).map(([v, where]) => ({
    what: `a key twice (${where})`,
    req: json(where === 'top' ? `{"value":"x","value":${JSON.stringify(v)}}` : `{"value":${JSON.stringify(v)},"hardware":{"gpu":"a","gpu":"b"}}`, [auth(ada.token)]),
    statuses: [400],
  })),
  fc.integer({ min: 17, max: 20_000 }).map((depth) => ({
    what: `hardware nested ${depth} deep`,
    req: json(`{"value":1,"hardware":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`, [auth(ada.token)]),
    statuses: [400],
  })),
  fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', '\\u005f_proto__'), fc.constantFrom('top', 'hardware')).map(([key, where]) => ({
    what: `key ${key} (${where})`,
    req: json(where === 'top' ? `{"value":1,"${key}":{"polluted":true}}` : `{"value":1,"hardware":{"${key}":{"polluted":true}}}`, [auth(ada.token)]),
    statuses: [400],
  })),
  fc.tuple(hostilePath, hostilePath).filter(([a, b]) => !(couldBeTrainPy(a) && couldBeTrainPy(b))).map(([a, b]) => ({
    what: `patch of ${JSON.stringify(a)} → ${JSON.stringify(b)}`,
    req: json({ value: 1, patch: diffOf(`a/${a}`, `b/${b}`) }, [auth(ada.token)]),
    statuses: [400],
    code: 'invalid_patch',
  })),
  fc.constantFrom(...GIT_TRICKS).map((t) => ({ what: `patch: ${t.name}`, req: json({ value: 1, patch: t.patch }, [auth(ada.token)]), statuses: [400], code: 'invalid_patch' })),
  nastyString.filter((p) => p !== '' && !/^r\d+$/.test(p) && p.length <= 64).map((parent) => ({
    what: `parent ${JSON.stringify(parent)}`,
    req: json({ value: 1, parent }, [auth(ada.token)]),
    statuses: [400],
    code: /^(unknown_parent|bad_request)$/,
  })),
  fc.constantFrom({ value: null }, { value: null, crashed: false }, {}).map((b) => ({ what: `no value: ${JSON.stringify(b)}`, req: json(b, [auth(ada.token)]), statuses: [400], code: 'invalid_result' })),
  fc.constant(null).map((): Case => ({ what: 'empty body', req: json('', [auth(ada.token)]), statuses: [400] })),
  fc.tuple(validBody, fc.integer({ min: 1, max: 5 })).map(([b, short]) => {
    const text = JSON.stringify(b);
    return { what: `Content-Length ${short} short`, req: { ...json(text, [auth(ada.token)]), contentLength: String(text.length - short) }, statuses: [400] };
  }),
  fc.constantFrom<Header[]>(
    [['Content-Length', '5'], ['Content-Length', '6']],
    [['Transfer-Encoding', 'chunked'], ['Content-Length', '11']],
    [['Transfer-Encoding', 'chunked']],
    [['Content-Length', '-1']],
    [['Content-Length', 'abc']],
  ).map((framing) => ({
    what: `framing ${JSON.stringify(framing)}`,
    req: { method: 'POST', headers: [auth(ada.token), ['Content-Type', 'application/json'], ...framing], body: 'zz\r\n{"value":1}\r\n0\r\n\r\n', contentLength: false as const },
    statuses: [400],
  })),
);

/** A valid submission with a patch no one sent before: accepted (201), recorded, next id. */
const resultControl = fc.tuple(fc.constantFrom(...TRICKY_VALID_NUMBERS), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean()).map(([value, hypothesis, charset]) => ({
  value,
  hypothesis,
  charset,
}));

// Generous: a property is hundreds of requests, and the machine may be busy.
describe('hostile input: the public listener', { timeout: 120_000 }, () => {
  it(`POST /api/results: ${RUNS.results} hostile bodies → 4xx JSON, KB unchanged; valid ones interleaved are accepted`, async () => {
    let controls = 0;
    let lr = 1000;
    await check(fc.oneof({ arbitrary: resultDefects.map(at('/api/results')).map((c) => ({ c })), weight: 9 }, { arbitrary: resultControl.map((v) => ({ v })), weight: 1 }), RUNS.results, async (t) => {
      if ('c' in t) {
        await refused(t.c);
        return;
      }
      const { value, hypothesis, charset } = t.v;
      const before = kb.take();
      const body = `{"value":${value},"hypothesis":${JSON.stringify(hypothesis)},"patch":${JSON.stringify(lrPatch(`0.${lr++}`))}}`;
      const res = await rawRequest(host.publicUrl, {
        complete: true,
        method: 'POST',
        path: '/api/results',
        headers: [auth(ada.token), ['Content-Type', charset ? 'application/json; charset=UTF-8' : 'application/json']],
        body,
      });
      expect(res.status, `control ${body} → ${res.text}`).toBe(201);
      expect((res.json as { result: { id: string } }).result.id).toBe(`r${++seq}`);
      expect(kb.take(), 'an accepted result must change the KB').not.toBe(before);
      controls++;
    });
    expect(controls, 'controls ran').toBeGreaterThan(0);
  });

  const memberEndpoints: Header[] = [
    ['GET', '/api/task'],
    ['GET', '/api/champion'],
    ['GET', '/api/results'],
    ['GET', '/api/status'],
    ['POST', '/api/results'],
  ];

  /** Authorization headers that are not a current member's token, with the statuses each may get. */
  const badAuth: fc.Arbitrary<{ what: string; headers: readonly Header[]; statuses: readonly number[]; code?: string }> = fc.oneof(
    fc.constant({ what: 'no Authorization', headers: [], statuses: [401], code: 'auth_required' }),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Bearer    ', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearer: x', 'Bearer a b', 'cohort_mt_x', 'Bearer\u00a0x').map((h) => ({
      what: `Authorization ${JSON.stringify(h)}`,
      headers: [['Authorization', h]] as Header[],
      statuses: [401],
      code: 'auth_required',
    })),
    nastyString.map((s) => ({ what: `Bearer ${JSON.stringify(s)}`, headers: [['Authorization', `Bearer ${s}`]] as Header[], statuses: [400, 401, 403] })),
    fc.tuple(fc.constantFrom('cohort_mt_', 'cohort_xx_', 'COHORT_MT_', 'cohort_mt', ''), fc.base64String({ minLength: 4, maxLength: 64 })).map(([prefix, rest]) => ({
      what: `token ${prefix}…`,
      headers: [['Authorization', `Bearer ${prefix}${rest.replaceAll('=', '')}`]] as Header[],
      statuses: [403],
      code: 'not_a_member',
    })),
    fc.tuple(fc.constantFrom('flip', 'append', 'drop', 'case'), fc.nat()).map(([how, n]) => {
      const t = ada.token;
      const i = 10 + (n % (t.length - 10));
      const c = t[i]!;
      const flipped = c === 'A' ? 'B' : 'A';
      const token =
        how === 'flip' ? t.slice(0, i) + flipped + t.slice(i + 1) : how === 'append' ? `${t}x` : how === 'drop' ? t.slice(0, -1) : t.toUpperCase();
      return { what: `member token, ${how}`, headers: [['Authorization', `Bearer ${token}`]] as Header[], statuses: [403], code: 'not_a_member' };
    }),
    fc.integer({ min: 1000, max: 14_000 }).map((n) => ({ what: `a ${n}-character token`, headers: [['Authorization', `Bearer ${'A'.repeat(n)}`]] as Header[], statuses: [403] })),
    fc.integer({ min: 17_000, max: 64_000 }).map((n) => ({ what: `a ${n}-character header`, headers: [['Authorization', `Bearer ${'A'.repeat(n)}`]] as Header[], statuses: [431], code: 'headers_too_large' })),
    fc.constantFrom('ü💥', 'токен', '\u202Ecohort_mt_x', 'cohort_mt_\uFEFF').map((s) => ({ what: `unicode token ${s}`, headers: [['Authorization', `Bearer ${s}`]] as Header[], statuses: [403] })),
    fc.constantFrom('\u0000', '\u0001', '\u007f', '\r', '\u000b').map((s) => ({ what: `control character ${JSON.stringify(s)}`, headers: [['Authorization', `Bearer a${s}b`]] as Header[], statuses: [400] })),
    fc.constant({ what: "the owner's token", headers: [] as Header[], statuses: [403], code: 'not_a_member' }).map((c) => ({ ...c, headers: [auth(host.ownerToken)] })),
    fc.constant({ what: "a revoked member's token", headers: [] as Header[], statuses: [403], code: 'not_a_member' }).map((c) => ({ ...c, headers: [auth(revoked.token)] })),
    fc.constant({ what: 'junk token, then the real one', headers: [] as Header[], statuses: [403] }).map((c) => ({ ...c, headers: [auth('junk'), auth(ada.token)] })),
  );

  for (const [method, path] of memberEndpoints) {
    it(`${method} ${path}: ${RUNS.tokens} hostile tokens (missing, garbage, wrong prefix, huge, unicode, revoked) → 401/403 JSON, KB unchanged`, async () => {
      await check(badAuth, RUNS.tokens, async (a) => {
        const body = method === 'POST' ? JSON.stringify({ value: 0.5, hypothesis: 'forged?' }) : undefined;
        await refused({
          what: `${method} ${path} with ${a.what}`,
          req: { method, path, headers: [...a.headers, ...(body ? ([['Content-Type', 'application/json']] as Header[]) : [])], ...(body ? { body } : {}) },
          statuses: a.statuses,
          ...(a.code ? { code: a.code } : {}),
        });
      });
      // Control: the real token is let in.
      const ok = await rawRequest(host.publicUrl, { method: 'GET', path, headers: [auth(ada.token)] });
      expect(ok.status).toBe(200);
    });
  }

  it(`GET /api/results: ${RUNS.since} hostile ?since= values → 400 JSON, KB unchanged; valid ones interleaved are answered`, async () => {
    const badSince = fc.oneof(
      fc.constantFrom('', ' 1 ', '-1', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '1e400', '2**1024', '9'.repeat(16), '9'.repeat(400), '+1', '٣', '１', '1 ', '0b1', 'null', '[]', '%ZZ'),
      nastyString.filter((s) => !/^\d{1,15}$/.test(s) && s.isWellFormed()),
      fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !/^\d{1,15}$/.test(s) && s.isWellFormed()),
    );
    const query = fc.oneof(
      badSince.map((s) => `since=${encodeURIComponent(s)}`),
      fc.constantFrom('since=1&since=2', 'since=&since=1', 'since', 'since=%ZZ', 'since=%FF', 'since=1%00'),
    );
    await check(fc.oneof({ arbitrary: query.map((q) => ({ q })), weight: 9 }, { arbitrary: fc.nat({ max: 999_999_999_999_999 }).map((n) => ({ n })), weight: 1 }), RUNS.since, async (t) => {
      if ('q' in t) {
        await refused({ what: `?${t.q}`, req: { path: `/api/results?${t.q}`, headers: [auth(ada.token)] }, statuses: [400], code: 'bad_request' });
        return;
      }
      const res = await harmless({ what: `?since=${t.n}`, req: { path: `/api/results?since=${t.n}`, headers: [auth(ada.token)] } });
      expect(res.status).toBe(200);
      // One page: at most the default page size (docs/design.md, "Listings at scale").
      expect((res.json as { results: unknown[] }).results.length).toBe(Math.min(PAGE_LIMITS.default, Math.max(0, seq - t.n)));
    });
  });

  /** Headers, queries and bodies a GET does not read: answered 200 without a trace. */
  const getJunk: fc.Arbitrary<{ what: string; query: string; headers: Header[]; body?: Buffer }> = fc.record({
    query: fc.oneof(fc.constant(''), nastyString.filter((s) => s.isWellFormed()).map((s) => `?x=${encodeURIComponent(s)}`), fc.constantFrom('?a=%ZZ', '?__proto__[x]=1', '?constructor.prototype.x=1', '?&&&', '?a=1&a=2', `?${'a=1&'.repeat(500)}`)),
    headers: fc.array(
      fc.tuple(
        fc.constantFrom('Accept', 'Accept-Encoding', 'Accept-Language', 'Range', 'If-None-Match', 'X-Forwarded-For', 'X-Forwarded-Proto', 'Cf-Connecting-Ip', 'Origin', 'Cookie', 'X-Http-Method-Override', 'Content-Type'),
        fc.oneof(fc.constantFrom('*/*', 'gzip, br', 'bytes=0-10', '*', 'DELETE', 'application/json; charset=latin1', '::1', '1.2.3.4, 5.6.7.8'), nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s))),
      ),
      { maxLength: 4 },
    ),
    body: fc.option(fc.oneof(invalidUtf8, fc.constant(Buffer.from('{"__proto__":1}'))), { nil: undefined }),
  }).map((r) => ({ ...r, what: `query ${r.query.slice(0, 40)} headers ${JSON.stringify(r.headers).slice(0, 80)}${r.body ? ' with a body' : ''}` }));

  for (const path of ['/api/task', '/api/champion', '/api/status']) {
    it(`GET ${path}: ${RUNS.memberGetJunk} requests with junk queries, headers and bodies → never 5xx, JSON, KB unchanged`, async () => {
      await check(getJunk, RUNS.memberGetJunk, async (j) => {
        await harmless({ what: `GET ${path} ${j.what}`, req: { path: `${path}${j.query}`, headers: [auth(ada.token), ...j.headers], ...(j.body ? { body: j.body } : {}) } });
      });
    });
  }

  /** Requests to an open endpoint that are wrong in method, path or HTTP itself. */
  function wrongRequests(path: string): fc.Arbitrary<Case> {
    return fc.oneof(
      fc.tuple(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.option(fc.oneof(nastyString, fc.constant('{"ok":false}')), { nil: undefined })).map(([method, body]) => ({
        what: `${method} ${path}`,
        req: { method, path, headers: body === undefined ? [] : [['Content-Type', 'application/json']], ...(body === undefined ? {} : { body }) },
        statuses: [400, 404, 415],
      })),
      fc.constantFrom(`${path}/`, `${path}/x`, `${path}.json`, path.toUpperCase(), `/${path}`, `${path}%00`, `${path}%2F`, `/%2e%2e${path}`, `${path};x`).map((p) => ({ what: `GET ${p}`, req: { path: p }, statuses: [400, 404] })),
      fc.constantFrom(`${path}%ZZ`, `${path}%`, `${path}%E0%A4`, `${path}%ff`).map((p) => ({ what: `GET ${p}`, req: { path: p }, statuses: [400, 404] })),
      fc.constantFrom('FOO', 'GETT', 'get', 'G\u00e9T').map((method) => ({ what: `method ${method}`, req: { method, path }, statuses: [400] })),
      // (llhttp takes HTTP/0.9 and HTTP/2.0 request lines as 1.x; those are answered normally.)
      fc.constantFrom('HTTP/1.2', 'HTTP/3.0', 'HTTP/1.10', 'HTTX/1.1').map((version) => ({
        what: `version ${version}`,
        req: { raw: Buffer.from(`GET ${path} ${version}\r\nHost: x\r\nConnection: close\r\n\r\n`) },
        statuses: [400],
      })),
      fc.integer({ min: 17_000, max: 40_000 }).map((n) => ({ what: `${n} bytes of headers`, req: { path, headers: [['X-Big', 'a'.repeat(n)]] }, statuses: [431] })),
      fc.constantFrom('\u0000', '\u0001', '\r', '\u007f').map((c) => ({ what: `header with ${JSON.stringify(c)}`, req: { path, headers: [['X-Junk', `a${c}b`]] }, statuses: [400] })),
      fc.constantFrom('X Junk', '(x)', 'ü', 'a\tb').map((name) => ({ what: `header name ${JSON.stringify(name)}`, req: { path, headers: [[name, 'x']] }, statuses: [400] })),
    );
  }

  /** Junk an open GET reads nothing of: answered 200. */
  const openJunk: fc.Arbitrary<{ what: string; query: string; headers: Header[] }> = fc
    .record({
      query: fc.oneof(fc.constant(''), nastyString.filter((s) => s.isWellFormed()).map((s) => `?x=${encodeURIComponent(s)}`), fc.constantFrom('?a=%ZZ', '?a=1&a=2')),
      host: fc.oneof(fc.constantFrom('evil.example', 'evil.example"><script>', '[::1]:1', 'a b', '127.0.0.1:1/path', 'ü.example', ''), nastyString.filter((s) => /^[\x20-\x7e]*$/.test(s))),
      proto: fc.constantFrom('https', 'http', 'javascript', 'https, http', '', 'gopher'),
    })
    .map(({ query, host: h, proto }) => ({ what: `query ${query.slice(0, 30)} Host ${JSON.stringify(h)} proto ${proto}`, query, headers: [['Host', h], ['X-Forwarded-Proto', proto]] as Header[] }));

  it(`GET /healthz: ${RUNS.health} wrong methods, paths and malformed HTTP → 4xx JSON; ${RUNS.healthJunk} junk requests → 200; KB unchanged`, async () => {
    await check(wrongRequests('/healthz'), RUNS.health, async (c) => {
      await refused(c);
    });
    await check(openJunk, RUNS.healthJunk, async (j) => {
      const res = await harmless({ what: `GET /healthz ${j.what}`, req: { path: `/healthz${j.query}`, headers: j.headers } });
      expect(res.status).toBe(200);
    });
  });

  it(`GET /.well-known/oauth-authorization-server: ${RUNS.discovery} wrong requests → 4xx JSON; ${RUNS.discoveryJunk} hostile Host/X-Forwarded-Proto → a clean issuer; KB unchanged`, async () => {
    const path = '/.well-known/oauth-authorization-server';
    await check(wrongRequests(path), RUNS.discovery, async (c) => {
      await refused(c);
    });
    await check(openJunk, RUNS.discoveryJunk, async (j) => {
      const res = await harmless({ what: `GET ${path} ${j.what}`, req: { path: `${path}${j.query}`, headers: j.headers } });
      expect(res.status).toBe(200);
      const meta = res.json as { issuer: string; token_endpoint: string };
      // The Host header is reflected only when it is a plain host[:port]; the scheme is never taken from it.
      expect(meta.issuer, j.what).toMatch(/^http:\/\/[A-Za-z0-9.\-:[\]]+$/);
      expect(meta.token_endpoint).toBe(`${meta.issuer}/oauth/token`);
    });
  });

  // -------------------------------------------------------------------------------------------
  // The device flow
  // -------------------------------------------------------------------------------------------

  const form = (text: string | Buffer, headers: Header[] = []): RawRequest => ({
    method: 'POST',
    headers: [...headers, ['Content-Type', 'application/x-www-form-urlencoded']],
    body: text,
  });
  /** Form-safe text: no & = % + or whitespace, so it can never smuggle a parameter in. */
  const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
  const enc = (s: string) => encodeURIComponent(s);

  /** Defects any endpoint taking form-or-JSON bodies must refuse, around an otherwise valid `params`. */
  function bodyDefects(params: Record<string, string>): fc.Arbitrary<Case> {
    const formText = Object.entries(params).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    return fc.oneof(
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), invalidUtf8).map(([at, bad]) => ({ what: `form with raw bytes ${bad.toString('hex')}`, req: form(spliceBytes(formText, at, bad)), statuses: [400] })),
      fc.tuple(fc.constantFrom('%ZZ', '%', '%E0%A4', '%FF', '%ED%A0%80', '%C0%AF', '%F8%88%80%80%80'), fc.constantFrom(...Object.keys(params))).map(([esc, key]) => ({
        what: `form escape ${esc} in ${key}`,
        req: form(formText.replace(`${enc(key)}=`, `${enc(key)}=a${esc}`)),
        statuses: [400],
      })),
      fc.constantFrom(...Object.keys(params)).map((key) => ({ what: `form ${key} twice`, req: form(`${formText}&${enc(key)}=other`), statuses: [400] })),
      fc.constantFrom('__proto__', 'constructor', 'prototype', '%5F%5Fproto%5F%5F').map((key) => ({ what: `form key ${key}`, req: form(`${key}=x&${formText}`), statuses: [400] })),
      fc.constantFrom('latin1', 'iso-8859-1', 'utf-16', 'windows-1252', '').map((cs) => ({
        what: `form charset=${cs}`,
        req: { method: 'POST', headers: [['Content-Type', `application/x-www-form-urlencoded; charset=${cs}`]], body: formText },
        statuses: [415],
      })),
      fc.constantFrom('gzip', 'deflate', 'br').map((e) => ({ what: `form Content-Encoding ${e}`, req: { ...form(formText), headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Encoding', e]] }, statuses: [415] })),
      fc.constantFrom<string | null>(null, 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'text/html').map((ct) => ({
        what: `Content-Type ${ct}`,
        req: { method: 'POST', headers: ct === null ? [] : [['Content-Type', ct]], body: formText },
        statuses: [400, 415],
      })),
      fc.constant<Case>({ what: 'a 9 KiB form', req: form(`${formText}&pad=${'x'.repeat(9 * 1024)}`), statuses: [413] }),
      fc.constant<Case>({ what: 'the form under a JSON Content-Type', req: json(formText), statuses: [400] }),
      fc.constantFrom('[]', '"x"', '1', 'true', '[{}]').map((b) => ({ what: `JSON ${b}`, req: json(b), statuses: [400] })),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((at) => {
        const text = JSON.stringify(params);
        return { what: 'truncated JSON', req: json(text.slice(0, Math.floor(at * text.length))), statuses: [400] };
      }),
      fc.constantFrom(...Object.keys(params)).map((key) => ({ what: `JSON ${key} twice`, req: json(`${JSON.stringify(params).slice(0, -1)},${JSON.stringify(key)}:"other"}`), statuses: [400] })),
      fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) => ({ what: `JSON key ${key}`, req: json(`{"${key}":{"x":1},${JSON.stringify(params).slice(1)}`), statuses: [400] })),
      fc.integer({ min: 17, max: 4000 }).map((d) => ({ what: `JSON nested ${d} deep`, req: json(`{"x":${'['.repeat(d)}${']'.repeat(d)},${JSON.stringify(params).slice(1)}`), statuses: [400, 413] })),
      fc.constantFrom(...Object.keys(params)).map((key) => ({ what: `JSON lone surrogate in ${key}`, req: json(JSON.stringify({ ...params, [key]: 'SUR' }).replace('"SUR"', '"\\ud800"')), statuses: [400] })),
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), invalidUtf8).map(([at, bad]) => ({ what: `JSON with raw bytes ${bad.toString('hex')}`, req: { ...json(''), body: spliceBytes(JSON.stringify(params), at, bad) }, statuses: [400] })),
    );
  }

  it(`POST /oauth/device_authorization: ${RUNS.deviceAuthorization} hostile bodies → 4xx JSON, KB unchanged; valid ones interleaved are accepted`, async () => {
    const params = { client_id: 'cohort-worker', name: 'eve', hostname: 'eve-host' };
    const fieldDefects: fc.Arbitrary<Case> = fc.oneof(
      fc.dictionary(word.filter((k) => !['client_id', '__proto__', 'constructor', 'prototype'].includes(k)), word, { maxKeys: 5 }).map((d) => ({
        what: `no client_id: ${JSON.stringify(d)}`,
        req: form(Object.entries(d).map(([k, v]) => `${k}=${v}`).join('&')),
        statuses: [400],
        code: 'invalid_request',
      })),
      fc.constantFrom('client_id=', 'client_id', `client_id=${'c'.repeat(101)}`, `client_id=x&name=${'n'.repeat(65)}`, `client_id=x&hostname=${'h'.repeat(129)}`, `client_id=x&os=${'o'.repeat(129)}`, `client_id=x&gpu=${'g'.repeat(257)}`, `client_id=x&app_version=${'v'.repeat(33)}`, `client_id=x&scope=${'s'.repeat(201)}`).map((f) => ({
        what: `form ${f.slice(0, 40)}`,
        req: form(f),
        statuses: [400],
        code: 'invalid_request',
      })),
      fc.tuple(fc.constantFrom('client_id', 'name', 'hostname', 'os', 'gpu', 'app_version', 'scope'), fc.constantFrom<unknown>(1, true, null, ['x'], { a: 1 })).map(([field, v]) => ({
        what: `JSON ${field}: ${JSON.stringify(v)}`,
        req: json({ ...params, [field]: v }),
        statuses: [400],
        code: 'invalid_request',
      })),
      fc.dictionary(word.filter((k) => !['client_id', '__proto__', 'constructor', 'prototype'].includes(k)), word, { minKeys: 1, maxKeys: 4 }).map((d) => ({
        what: 'JSON under a form Content-Type',
        req: form(JSON.stringify({ ...d, client_id: 'abc' })),
        statuses: [400],
        code: 'invalid_request',
      })),
    );
    let controls = 0;
    const cases = fc.oneof({ arbitrary: fc.oneof(fieldDefects, bodyDefects(params)).map(at('/oauth/device_authorization')).map((c) => ({ c })), weight: 9 }, { arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.boolean()).map((v) => ({ v })), weight: 1 });
    await check(cases, RUNS.deviceAuthorization, async (t) => {
      if ('c' in t) {
        await refused({ ...t.c, code: t.c.code ?? 'invalid_request' });
        return;
      }
      const [name, asJson] = t.v;
      const before = kb.take();
      const res = await rawRequest(host.publicUrl, { complete: true, path: '/oauth/device_authorization', ...(asJson ? json({ client_id: 'cohort-worker', name }) : form(`client_id=cohort-worker&name=${enc(name)}`)) });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ device_code: expect.any(String), user_code: expect.stringMatching(/^[B-Z]{4}-[B-Z]{4}$/) });
      expect(kb.take(), 'a join request must change the KB').not.toBe(before);
      controls++;
    });
    expect(controls).toBeGreaterThan(0);
  });

  it(`POST /oauth/token: ${RUNS.token} hostile bodies → 4xx JSON, KB unchanged; valid exchanges interleaved get a token`, async () => {
    // A pending request (polled by someone else's client_id), one already exchanged, one denied.
    const newRequest = async () => (await call<{ device_code: string; user_code: string }>(host.publicUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', name: 'w' } })).body;
    const pending = await newRequest();
    const denied = await newRequest();
    expect((await call(host.ownerUrl, `/api/owner/requests/${denied.user_code}/deny`, { method: 'POST', token: host.ownerToken })).status).toBe(200);
    const consumed = await newRequest();
    await call(host.ownerUrl, `/api/owner/requests/${consumed.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    expect((await call(host.publicUrl, '/oauth/token', { form: { grant_type: DEVICE_CODE_GRANT, device_code: consumed.device_code, client_id: 'cohort-worker' } })).status).toBe(200);

    const params = { grant_type: DEVICE_CODE_GRANT, device_code: 'x'.repeat(43), client_id: 'cohort-worker' };
    const tokenForm = (p: Record<string, string>) => form(Object.entries(p).map(([k, v]) => `${k}=${enc(v)}`).join('&'));
    const fieldDefects: fc.Arbitrary<Case> = fc.oneof(
      fc.constantFrom('grant_type', 'device_code').map((k) => {
        const p: Record<string, string> = { ...params };
        delete p[k];
        return { what: `no ${k}`, req: tokenForm(p), statuses: [400], code: 'invalid_request' };
      }),
      fc.constant<Case>({ what: 'no client_id', req: tokenForm({ grant_type: DEVICE_CODE_GRANT, device_code: pending.device_code }), statuses: [400], code: 'invalid_request' }),
      fc.oneof(nastyString.filter((g) => g.isWellFormed()), fc.constantFrom('authorization_code', 'urn:ietf:params:oauth:grant-type:device_cod', `${DEVICE_CODE_GRANT} `, DEVICE_CODE_GRANT.toUpperCase())).filter((g) => g !== DEVICE_CODE_GRANT).map((g) => ({
        what: `grant_type ${JSON.stringify(g)}`,
        req: tokenForm({ ...params, grant_type: g }),
        statuses: [400],
        code: /^(invalid_request|unsupported_grant_type)$/,
      })),
      fc.oneof(nastyString, fc.base64String({ minLength: 1, maxLength: 200 })).filter((d) => d.length <= 200 && d !== '' && d.isWellFormed()).map((d) => ({
        what: `device_code ${JSON.stringify(d.slice(0, 30))}`,
        req: tokenForm({ ...params, device_code: d }),
        statuses: [400],
        code: /^(invalid_request|invalid_grant)$/,
      })),
      fc.constant<Case>({ what: 'device_code of 201 characters', req: tokenForm({ ...params, device_code: 'd'.repeat(201) }), statuses: [400], code: 'invalid_request' }),
      fc.oneof(nastyString, fc.constant('other-client')).filter((c) => c !== 'cohort-worker' && c.length > 0 && c.length <= 100 && c.isWellFormed()).map((c) => ({
        what: `a live device_code under client_id ${JSON.stringify(c)}`,
        req: tokenForm({ ...params, device_code: pending.device_code, client_id: c }),
        statuses: [400],
        code: /^(invalid_request|invalid_grant)$/,
      })),
      fc.constant<Case>({ what: 'an exchanged device_code', req: tokenForm({ ...params, device_code: consumed.device_code }), statuses: [400], code: 'invalid_grant' }),
      fc.constant<Case>({ what: 'a denied device_code', req: tokenForm({ ...params, device_code: denied.device_code }), statuses: [400], code: 'access_denied' }),
      fc.tuple(fc.constantFrom('grant_type', 'device_code', 'client_id'), fc.constantFrom<unknown>(1, true, null, ['x'], { a: 1 })).map(([field, v]) => ({
        what: `JSON ${field}: ${JSON.stringify(v)}`,
        req: json({ ...params, device_code: pending.device_code, [field]: v }),
        statuses: [400],
        code: 'invalid_request',
      })),
    );
    let controls = 0;
    const cases = fc.oneof({ arbitrary: fc.oneof(fieldDefects, bodyDefects(params)).map(at('/oauth/token')).map((c) => ({ c })), weight: 19 }, { arbitrary: fc.boolean().map((asJson) => ({ asJson })), weight: 1 });
    await check(cases, RUNS.token, async (t) => {
      if ('c' in t) {
        const res = await refused({ ...t.c, code: t.c.code ?? 'invalid_request' });
        expect((res.json as { error_description?: unknown }).error_description, `${t.c.what}: OAuth errors carry error_description`).toBeTypeOf('string');
        return;
      }
      const fresh = await newRequest();
      await call(host.ownerUrl, `/api/owner/requests/${fresh.user_code}/approve`, { method: 'POST', token: host.ownerToken });
      const before = kb.take();
      const p = { ...params, device_code: fresh.device_code };
      const res = await rawRequest(host.publicUrl, { complete: true, path: '/oauth/token', ...(t.asJson ? json(p) : tokenForm(p)) });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ access_token: expect.stringMatching(/^cohort_mt_/), token_type: 'Bearer' });
      expect(kb.take(), 'a new member must change the KB').not.toBe(before);
      controls++;
    });
    expect(controls).toBeGreaterThan(0);
  });

  it(`every endpoint: ${RUNS.rawBytes} byte strings that are not HTTP → 4xx JSON or a closed connection, KB unchanged`, async () => {
    const paths = ['/healthz', '/.well-known/oauth-authorization-server', '/oauth/device_authorization', '/oauth/token', '/api/task', '/api/champion', '/api/results', '/api/status'];
    const garbage = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom(...paths), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }), fc.nat()).map(([p, junk, at]) => {
        const valid = Buffer.from(`POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
        const i = at % valid.length;
        return Buffer.concat([valid.subarray(0, i), Buffer.from(junk), valid.subarray(i)]);
      }),
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const before = kb.take();
        const res = await rawRequest(host.publicUrl, { raw: bytes }).catch((err: Error) => err);
        // Bytes that never complete a request line get no answer; anything the server answers must be clean.
        if (!(res instanceof Error)) {
          answered++;
          expectHandled(res, `raw ${JSON.stringify(bytes.subarray(0, 60).toString('latin1'))}`);
          expect(res.status).not.toBe(200);
        } else {
          expect(res.message).toMatch(/closed without a complete response/);
        }
        expect(kb.take()).toBe(before);
      }),
      { numRuns: RUNS.rawBytes },
    );
    expect(answered).toBeGreaterThan(0);
    await stillHealthy();
  });

  it('a poll of a live device code is the one refusal that writes: it records the poll (RFC 8628 slow_down needs it)', async () => {
    const { device_code } = (await call<{ device_code: string }>(host.publicUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker' } })).body;
    const before = kb.take();
    const res = await rawRequest(host.publicUrl, { path: '/oauth/token', ...form(`grant_type=${enc(DEVICE_CODE_GRANT)}&device_code=${device_code}&client_id=cohort-worker`) });
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toBe('authorization_pending');
    expect(kb.take()).not.toBe(before);
  });
});
