import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PublishResponse } from '../protocol/index.ts';
import { startAppService, type RunningAppService } from './app-service.ts';
import { call, tempHome, type TempHome } from './testing/harness.ts';
import { readHostState } from './state-file.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));

let home: TempHome | undefined;
let app: RunningAppService | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  app = home = dir = undefined;
});

describe('startAppService', () => {
  it('publishes a program from the UI: owner routes come alive on the same origin, and only one program per app', async () => {
    home = await tempHome();
    dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
    await cp(QUADRATIC, dir, { recursive: true });
    app = await startAppService({ paths: home.paths, rendererDir: null });
    const api = (path: string, opts: Parameters<typeof call>[2] = {}) => call(app!.url, path, { token: app!.token, ...opts });
    expect((await api('/api/app')).body).toEqual({ views: ['owner'], can_publish: true, program: null });

    const published = await api('/api/app/publish', { json: { dir } });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ program: 'quadratic', dir, public_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    // What members receive, for the owner to check: the example's two files with their sizes.
    const manifest = PublishResponse.parse(published.body).manifest;
    expect(manifest.files.map((f) => f.path)).toEqual(['TASK.md', 'train.py']);
    expect(manifest).toMatchObject({ count: 2, bytes: manifest.files[0]!.bytes + manifest.files[1]!.bytes, left_out_count: 0 });
    expect(manifest.files[1]!.bytes).toBe((await stat(join(dir, 'train.py'))).size);
    expect((await api('/api/app')).body).toMatchObject({ program: 'quadratic' });
    const status = await api('/api/owner/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ program: { spec: { name: 'quadratic' } }, join_command: `cohort join ${app.host()!.publicUrl}` });
    // The CLI finds the published host beside the app (`cohort approve`, `cohort status`).
    expect(await readHostState(home.paths)).toMatchObject({ program: 'quadratic', publicUrl: app.host()!.publicUrl });

    const again = await api('/api/app/publish', { json: { dir } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict', message: expect.stringMatching(/already hosts "quadratic"/) });
  });

  it('refuses a folder with a secret-looking file, naming it in the issues', async () => {
    home = await tempHome();
    dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
    await cp(QUADRATIC, dir, { recursive: true });
    await writeFile(join(dir, 'kaggle.json'), '{"username":"a","key":"b"}\n');
    app = await startAppService({ paths: home.paths, rendererDir: null });
    const res = await call(app.url, '/api/app/publish', { token: app.token, json: { dir } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_program', issues: [{ file: 'kaggle.json', field: null, line: null, message: expect.stringMatching(/^looks like a secret \(a Kaggle API token\)/) }] });
    expect(app.host()).toBeNull();
  });

  it('says which folder it looked in when there is no TASK.md', async () => {
    home = await tempHome();
    app = await startAppService({ paths: home.paths, rendererDir: null });
    const res = await call(app.url, '/api/app/publish', { token: app.token, json: { dir: join(home.dir, 'missing') } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_program', dir: join(home.dir, 'missing'), issues: [expect.objectContaining({ message: expect.any(String) })] });
  });
});
