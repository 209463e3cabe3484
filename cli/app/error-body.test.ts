/** Every listener writes a refusal the same way: `{error, message}`, JSON, the status its code always has. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../protocol/index.ts';
import { call, startTestHost, tempHome, type ApiResponse, type TempHome, type TestHost } from '../../main/testing/harness.ts';
import type { Hardware } from '../../worker-runtime/hardware.ts';
import { startAppStack, type AppStack } from './app-stack.ts';

const hardware: Hardware = { hostname: 'ui-box', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };

let host: TestHost;
let workerHome: TempHome;
let stack: AppStack;

beforeAll(async () => {
  host = await startTestHost();
  workerHome = await tempHome();
  stack = await startAppStack({ paths: workerHome.paths, rendererDir: null, worker: { appVersion: 'test', hardware } });
});
afterAll(async () => {
  await stack?.close();
  await host?.dispose();
  await workerHome?.cleanup();
});

function expectRefusal(res: ApiResponse, code: ErrorCode, what: string): void {
  expect(res.headers.get('content-type'), what).toBe('application/json; charset=utf-8');
  expect(Object.keys(res.body).sort(), what).toEqual(['error', 'message']);
  expect(res.body.error, what).toBe(code);
  expect(res.status, what).toBe(ERROR_STATUS[code]);
  expect(typeof res.body.message, what).toBe('string');
}

describe('one error body for every listener', () => {
  it('the public listener', async () => {
    expectRefusal(await call(host.publicUrl, '/nowhere'), 'not_found', 'unknown route');
    expectRefusal(await call(host.publicUrl, '/api/task'), 'auth_required', 'no member token');
    expectRefusal(await call(host.publicUrl, '/api/task', { token: 'cohort_mt_nobody' }), 'not_a_member', 'unknown token');
  });

  it('the owner listener', async () => {
    expectRefusal(await call(host.ownerUrl, '/api/owner/status'), 'auth_required', 'no owner token');
    expectRefusal(await call(host.ownerUrl, '/api/owner/status', { token: 'wrong' }), 'forbidden', 'wrong owner token');
    expectRefusal(await call(host.ownerUrl, '/api/owner/requests/BCDF-GHJK/approve', { method: 'POST', token: host.ownerToken }), 'not_found', 'unknown user code');
    expectRefusal(await call(host.ownerUrl, '/api/nowhere', { token: host.ownerToken }), 'not_found', 'unknown API route');
  });

  it('the app listener', async () => {
    const api = (path: string, opts: Parameters<typeof call>[2] = {}) => call(stack.app.url, path, { token: stack.app.token, ...opts });
    expectRefusal(await call(stack.app.url, '/api/app'), 'auth_required', 'no token');
    expectRefusal(await api('/api/owner/status'), 'conflict', 'nothing published');
    expectRefusal(await api('/api/app/publish', { json: { folder: 'x' } }), 'bad_request', 'a publish request without dir');
  });

  it('the worker\'s routes on the app listener', async () => {
    const api = (path: string, opts: Parameters<typeof call>[2] = {}) => call(stack.app.url, path, { token: stack.app.token, ...opts });
    expectRefusal(await api('/api/worker/join', { json: { url: 42 } }), 'bad_request', 'a join request without a URL');
    expectRefusal(await api('/api/worker/programs/nothing-joined'), 'not_found', 'no such membership');
    expectRefusal(await call(stack.app.url, '/api/worker/state', { token: 'nope' }), 'forbidden', 'the owner guard in the worker\'s scope');
  });
});
