/**
 * One regular test per bug the hostile-input properties found on the public listener
 * (docs/hostile-input.md, "Bugs found"). Each title says what used to happen.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultsResponse } from '../../protocol/index.ts';
import { buildPublicServer } from './public-server.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, type Joined, type TestHost } from '../testing/harness.ts';
import { KbFingerprint, rawRequest, type Header, type RawResponse } from '../testing/hostile.ts';

let host: TestHost | undefined;
let kb: KbFingerprint | undefined;
afterEach(async () => {
  kb?.close();
  kb = undefined;
  await host?.dispose();
  host = undefined;
});

async function start(program = sampleProgram()): Promise<{ h: TestHost; ada: Joined }> {
  host = await startTestHost({ program });
  const ada = await joinMember(host, 'ada');
  kb = new KbFingerprint(host.kbFile);
  return { h: host, ada };
}

function post(h: TestHost, path: string, body: string | Buffer, headers: Header[]): Promise<RawResponse> {
  return rawRequest(h.publicUrl, { method: 'POST', path, headers, body });
}

const body = (res: RawResponse) => res.json as { error: string; message: string; error_description?: string };

describe('hostile input: regressions on the public listener', () => {
  it('bytes that are not UTF-8 inside a JSON string were stored as U+FFFD; now 400 and nothing is recorded', async () => {
    const { h, ada } = await start();
    const before = kb!.take();
    const bytes = Buffer.concat([Buffer.from('{"value":1,"hypothesis":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await post(h, '/api/results', bytes, [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json']]);
    expect(res.status).toBe(400);
    expect(body(res)).toEqual({ error: 'bad_request', message: 'The body is not valid UTF-8: encode the text as UTF-8.' });
    expect(kb!.take()).toBe(before);
  });

  it('a JSON body declared charset=latin1 or utf-16 was read as UTF-8 anyway; now 415', async () => {
    const { h, ada } = await start();
    for (const charset of ['latin1', 'utf-16']) {
      const res = await post(h, '/api/results', '{"value":1}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', `application/json; charset=${charset}`]]);
      expect(res.status).toBe(415);
      expect(body(res).message).toBe(`The body must be UTF-8, but Content-Type says charset=${charset}: send it as UTF-8 (charset=utf-8, or no charset).`);
    }
    const ok = await post(h, '/api/results', '{"value":1}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json; charset="UTF-8"']]);
    expect(ok.status).toBe(201);
  });

  it('a key given twice was silently "last one wins"; now 400 naming the key', async () => {
    const { h, ada } = await start();
    const res = await post(h, '/api/results', '{"value":"oops","value":1}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json']]);
    expect(res.status).toBe(400);
    expect(body(res).message).toBe('The body gives the key "value" twice in one object: send each key once.');
  });

  it('a __proto__ key was refused as "Body is not valid JSON"; now the message names the key', async () => {
    const { h, ada } = await start();
    const res = await post(h, '/api/results', '{"value":1,"hardware":{"__proto__":{"admin":true}}}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json']]);
    expect(res.status).toBe(400);
    expect(body(res).message).toMatch(/^The body contains the key "__proto__", which is refused anywhere in a body/);
  });

  it('an escaped lone surrogate ("\\ud800") was stored as U+FFFD by SQLite; now 400', async () => {
    const { h, ada } = await start();
    const res = await post(h, '/api/results', '{"value":1,"hypothesis":"\\ud800"}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json']]);
    expect(res.status).toBe(400);
    expect(body(res).message).toMatch(/unpaired UTF-16 surrogate/);
  });

  it('Content-Encoding: gzip was ignored and the bytes parsed as they came; now 415', async () => {
    const { h, ada } = await start();
    const res = await post(h, '/api/results', '{"value":1}', [['Authorization', `Bearer ${ada.token}`], ['Content-Type', 'application/json'], ['Content-Encoding', 'gzip']]);
    expect(res.status).toBe(415);
    expect(body(res)).toEqual({ error: 'unsupported_media_type', message: 'Content-Encoding "gzip" is not supported: send the body uncompressed.' });
  });

  it('value ±1.7e308 made an impact of Infinity, sent as `impact: null`, which broke every worker reading /api/results; now 400', async () => {
    const { h, ada } = await start();
    expect((await call(h.publicUrl, '/api/results', { token: ada.token, json: { value: 1e300 } })).status).toBe(201);
    for (const value of [1.7e308, -1.7e308, 1e301]) {
      const res = await call<{ error: string; message: string }>(h.publicUrl, '/api/results', { token: ada.token, json: { value, patch: lrPatch('0.9') } });
      expect(res.status, String(value)).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_result', message: 'The result is invalid: value: must be between -1e300 and 1e300' });
    }
    expect((await call(h.publicUrl, '/api/results', { token: ada.token, json: { value: -1e300, patch: lrPatch('0.9') } })).status).toBe(201);
    const list = await call(h.publicUrl, '/api/results', { token: ada.token });
    // The worker's own parse of the list (member-client.ts) must succeed: every impact is a finite number.
    expect(ResultsResponse.parse(list.body).results.map((r) => r.impact)).toEqual([0, 2e300]);
  });

  it('?since= accepted " 1 ", "", "0x10" and "1e3" (Number() semantics); now digits only', async () => {
    const { h, ada } = await start();
    for (const since of ['%201%20', '', '0x10', '1e3', '-0', '1.0']) {
      const res = await rawRequest(h.publicUrl, { path: `/api/results?since=${since}`, headers: [['Authorization', `Bearer ${ada.token}`]] });
      expect(res.status, since).toBe(400);
      expect(body(res).message).toBe('`since` must be a result sequence number: digits only, e.g. `?since=12` (once).');
    }
    expect((await rawRequest(h.publicUrl, { path: '/api/results?since=007', headers: [['Authorization', `Bearer ${ada.token}`]] })).status).toBe(200);
  });

  it('headers over 16 KiB and malformed HTTP got fastify\'s {"error":"Bad Request","message":"Client Error","statusCode":400}; now {error, message}', async () => {
    const { h } = await start();
    const big = await rawRequest(h.publicUrl, { path: '/healthz', headers: [['Authorization', `Bearer ${'a'.repeat(20_000)}`]] });
    expect(big.status).toBe(431);
    expect(big.json).toEqual({ error: 'headers_too_large', message: 'The request headers are too large (16 KiB in all at most): send a shorter Authorization header or fewer headers.' });
    const ctl = await rawRequest(h.publicUrl, { path: '/healthz', headers: [['X-Junk', 'a\u0001b']] });
    expect(ctl.status).toBe(400);
    expect(ctl.json).toEqual({ error: 'bad_request', message: 'The request is not valid HTTP/1.1: invalid header value char.' });
    expect(ctl.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('a URL with a malformed %-escape got fastify\'s own body with code FST_ERR_BAD_URL; now {error, message}', async () => {
    const { h } = await start();
    const res = await rawRequest(h.publicUrl, { path: '/api/%ZZ' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'bad_request', message: 'The URL is not valid: each "%" in the path must start the two hex digits of a UTF-8 byte.' });
  });

  it('an HTTP/1.1 request without Host got Node\'s bare 400 with an empty body; now JSON', async () => {
    const { h } = await start();
    const res = await rawRequest(h.publicUrl, { raw: Buffer.from('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n') });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'bad_request', message: 'An HTTP/1.1 request needs a Host header (RFC 9112 §3.2).' });
    // HTTP/1.0 has no Host requirement.
    expect((await rawRequest(h.publicUrl, { raw: Buffer.from('GET /healthz HTTP/1.0\r\n\r\n') })).status).toBe(200);
  });

  it('a body with no Content-Type, or text/plain, got "Unsupported Media Type" (or, on OAuth, "expected object, received string"); now it says what to send', async () => {
    const { h, ada } = await start();
    const none = await rawRequest(h.publicUrl, { method: 'POST', path: '/api/results', headers: [['Authorization', `Bearer ${ada.token}`]], body: '{"value":1}' });
    expect(none.status).toBe(415);
    expect(body(none).message).toBe('The body has no Content-Type: send JSON (Content-Type: application/json).');
    const text = await post(h, '/oauth/token', 'grant_type=x', [['Content-Type', 'text/plain']]);
    expect(text.status).toBe(415);
    expect(body(text)).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/^Content-Type "text\/plain" is not accepted here: send the parameters form-encoded/) });
  });

  it('OAuth endpoints answered unreadable bodies with `bad_request` and no error_description; now RFC 6749 invalid_request', async () => {
    const { h } = await start();
    const res = await post(h, '/oauth/token', '{"grant_type":', [['Content-Type', 'application/json']]);
    expect(res.status).toBe(400);
    expect(body(res)).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/^The body is not valid JSON: /) });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a repeated form parameter became a list ("expected string, received array"); now a message citing RFC 6749 §3.1', async () => {
    const { h } = await start();
    const res = await post(h, '/oauth/device_authorization', 'client_id=a&client_id=b', [['Content-Type', 'application/x-www-form-urlencoded']]);
    expect(res.status).toBe(400);
    expect(body(res)).toMatchObject({ error: 'invalid_request', message: 'The parameter "client_id" is given more than once: send each parameter once (RFC 6749 §3.1).' });
  });

  it('a malformed %-escape in a form was kept as typed, and raw bytes that are not UTF-8 became U+FFFD; both created join requests; now 400', async () => {
    const { h } = await start();
    const before = kb!.take();
    const escape = await post(h, '/oauth/device_authorization', 'client_id=%FF%FE', [['Content-Type', 'application/x-www-form-urlencoded']]);
    expect(escape.status).toBe(400);
    expect(body(escape).message).toMatch(/^The form body has a percent-escape that is malformed or not UTF-8 in "%FF%FE"/);
    const bytes = await post(h, '/oauth/device_authorization', Buffer.from([...Buffer.from('client_id=caf'), 0xe9]), [['Content-Type', 'application/x-www-form-urlencoded']]);
    expect(bytes.status).toBe(400);
    expect(body(bytes).message).toBe('The body is not valid UTF-8: encode the text as UTF-8.');
    expect(kb!.take()).toBe(before);
  });

  it('a body that never finishes held its connection forever (fastify disables Node\'s requestTimeout); now 408 JSON and closed', async () => {
    const { h, ada } = await start();
    // The host's own listener uses 60 s; the same server with 300 ms shows the behaviour quickly.
    const app = await buildPublicServer({ ...h.services, publicUrl: () => '' }, { requestTimeoutMs: 300 });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.on('data', (c: Buffer) => (data += c.toString('utf8')));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        // Headers and the start of a body, then nothing: the socket stays open on our side.
        socket.write(`POST /api/results HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ada.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value":`);
        setTimeout(() => reject(new Error('the connection was still open after 10 s')), 10_000).unref();
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'request_timeout', message: 'The request took too long to arrive.' });
    } finally {
      await app.close();
    }
  });

  it('a malformed Authorization header was told "this endpoint needs a member token"; now it says the header is malformed', async () => {
    const { h } = await start();
    const res = await rawRequest(h.publicUrl, { path: '/api/task', headers: [['Authorization', 'Bearer two tokens']] });
    expect(res.status).toBe(401);
    expect(body(res).message).toMatch(/^The Authorization header must be "Bearer <member token>"/);
  });
});
