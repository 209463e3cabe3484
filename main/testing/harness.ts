/**
 * Test support: temporary Cohort homes, small programs, a real host on loopback ports the OS
 * picks, and a member that joins through the real device flow over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskSpec, type TaskSpecInput } from '../../protocol/index.ts';
import { startHost, type HostOptions, type RunningHost } from '../host.ts';
import type { ProgramSnapshot } from '../kb/knowledge-base.ts';
import type { CohortPaths } from '../../protocol/node/paths.ts';

export const TRAIN_PY = ['LEARNING_RATE = 0.01', 'DEPTH = 4', '', 'print("val_bpb: 1.0")', ''].join('\n');

export function sampleProgram(spec: Partial<TaskSpecInput> = {}, files: Record<string, string> = {}): ProgramSnapshot & { dir: string } {
  return {
    dir: '/nonexistent/sample-program',
    spec: TaskSpec.parse({ name: 'sample', objective: 'lower val_bpb', metric: 'val_bpb', direction: 'minimize', ...spec }),
    body: '# Sample\nMake val_bpb lower.\n',
    files: Object.entries({ 'TASK.md': '---\n---\n', 'train.py': TRAIN_PY, 'prepare.py': 'print("fixed")\n', ...files }).map(([path, content]) => ({ path, content })),
  };
}

export interface TempHome {
  dir: string;
  paths: CohortPaths;
  cleanup(): Promise<void>;
}

export async function tempHome(): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-test-'));
  return {
    dir,
    paths: { configDir: join(dir, 'config'), dataDir: join(dir, 'data') },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface TestHost extends RunningHost {
  home: TempHome;
  /** Stops the host and removes its home. */
  dispose(): Promise<void>;
}

export async function startTestHost(opts: Partial<HostOptions> = {}, home?: TempHome): Promise<TestHost> {
  const h = home ?? (await tempHome());
  const host = await startHost({ program: sampleProgram(), paths: h.paths, ...opts });
  return {
    ...host,
    home: h,
    async dispose() {
      await host.close();
      await h.cleanup();
    },
  };
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A real HTTP call; JSON in and out unless `form` is given (form-encoded, as RFC 8628 says). */
export async function call<T = Record<string, unknown>>(
  base: string,
  path: string,
  opts: { method?: string; token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${base}${path}`, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export interface Joined {
  token: string;
  memberId: string;
  userCode: string;
}

/** Joins through the real device flow: ask, the owner approves over the owner API, poll once. */
export async function joinMember(host: RunningHost, name: string, extra: Record<string, string> = {}): Promise<Joined> {
  const auth = await call<{ device_code: string; user_code: string }>(host.publicUrl, '/oauth/device_authorization', {
    form: { client_id: 'cohort-worker', name, hostname: `${name}-host`, os: 'linux', ...extra },
  });
  if (auth.status !== 200) throw new Error(`device_authorization failed: ${JSON.stringify(auth.body)}`);
  if (host.auth.membership === 'invite') {
    const ok = await call(host.ownerUrl, `/api/owner/requests/${auth.body.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    if (ok.status !== 200) throw new Error(`approve failed: ${JSON.stringify(ok.body)}`);
  }
  const tok = await call<{ access_token: string; member_id: string }>(host.publicUrl, '/oauth/token', {
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.body.device_code, client_id: 'cohort-worker' },
  });
  if (tok.status !== 200) throw new Error(`token failed: ${JSON.stringify(tok.body)}`);
  return { token: tok.body.access_token, memberId: tok.body.member_id, userCode: auth.body.user_code };
}

/** A unified diff that sets `LEARNING_RATE` in train.py (against TRAIN_PY or the given source). */
export function lrPatch(lr: string, from = '0.01'): string {
  return [
    '--- a/train.py',
    '+++ b/train.py',
    '@@ -1,2 +1,2 @@',
    `-LEARNING_RATE = ${from}`,
    `+LEARNING_RATE = ${lr}`,
    ' DEPTH = 4',
    '',
  ].join('\n');
}
