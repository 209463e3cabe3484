import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudflaredNotUsableError, findCloudflared, usualLocations, type FindCloudflaredOptions } from './find-cloudflared.ts';
import { installHint } from './install-hint.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-find-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exe(path: string, mode = 0o755): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '#!/bin/sh\necho stand-in\n');
  await chmod(path, mode);
  return path;
}

/** One cloudflared in every place the lookup knows, so removing them one by one shows the order. */
async function everywhere() {
  const places = {
    option: await exe(join(dir, 'opt', 'cloudflared')),
    env: await exe(join(dir, 'env', 'cloudflared')),
    path: await exe(join(dir, 'path-b', 'cloudflared')),
    npm: await exe(join(dir, 'project', 'node_modules', 'cloudflared', 'bin', 'cloudflared')),
    install: await exe(join(dir, 'usr-local-bin', 'cloudflared')),
  };
  await mkdir(join(dir, 'path-a'), { recursive: true });
  await mkdir(join(dir, 'project', 'sub'), { recursive: true });
  const opts = (over: Partial<FindCloudflaredOptions> = {}): FindCloudflaredOptions => ({
    platform: 'linux',
    explicit: places.option,
    env: { CLOUDFLARED_BIN: places.env, PATH: [join(dir, 'path-a'), join(dir, 'path-b')].join(':') },
    packageRoots: [join(dir, 'project', 'sub')],
    installLocations: [join(dir, 'nowhere', 'cloudflared'), places.install],
    ...over,
  });
  return { places, opts };
}

describe('finding cloudflared', () => {
  it('looks in order: --cloudflared, CLOUDFLARED_BIN, PATH, the npm package, the usual install locations', async () => {
    const { places, opts } = await everywhere();
    expect(await findCloudflared(opts())).toEqual({ path: places.option, source: 'option' });
    expect(await findCloudflared(opts({ explicit: undefined }))).toEqual({ path: places.env, source: 'env' });
    const pathOnly = { PATH: [join(dir, 'path-a'), join(dir, 'path-b')].join(':') };
    expect(await findCloudflared(opts({ explicit: undefined, env: pathOnly }))).toEqual({ path: places.path, source: 'path' });
    // The npm package's binary is found from a folder below the project, as Node resolves packages.
    expect(await findCloudflared(opts({ explicit: undefined, env: { PATH: join(dir, 'path-a') } }))).toEqual({ path: places.npm, source: 'npm' });
    expect(await findCloudflared(opts({ explicit: undefined, env: {}, packageRoots: [join(dir, 'path-a')] }))).toEqual({ path: places.install, source: 'install-location' });
    expect(await findCloudflared(opts({ explicit: undefined, env: {}, packageRoots: [join(dir, 'path-a')], installLocations: [join(dir, 'nowhere')] }))).toBeNull();
  });

  it('skips files that are not executable, folders named cloudflared, empty and relative PATH entries', async () => {
    await exe(join(dir, 'a', 'cloudflared'), 0o644);
    await mkdir(join(dir, 'b', 'cloudflared'), { recursive: true });
    const good = await exe(join(dir, 'c', 'cloudflared'));
    const env = { PATH: ['', 'relative/bin', join(dir, 'a'), join(dir, 'b'), join(dir, 'c')].join(':') };
    expect(await findCloudflared({ platform: 'linux', env, packageRoots: [], installLocations: [] })).toEqual({ path: good, source: 'path' });
    // A relative entry would mean "whatever folder the host was started in": never searched.
    await exe(join(dir, 'relative', 'bin', 'cloudflared'));
    expect(await findCloudflared({ platform: 'linux', env: { PATH: `relative/bin:${join(dir, 'a')}` }, cwd: dir, packageRoots: [], installLocations: [] })).toBeNull();
  });

  it('resolves a relative --cloudflared against the working folder', async () => {
    const bin = await exe(join(dir, 'tools', 'cloudflared'));
    expect(await findCloudflared({ explicit: 'tools/cloudflared', cwd: dir, env: {}, packageRoots: [], installLocations: [] })).toEqual({ path: bin, source: 'option' });
  });

  it('says so when the path the owner named cannot be run, instead of quietly using another one', async () => {
    const { opts } = await everywhere();
    await expect(findCloudflared(opts({ explicit: join(dir, 'typo', 'cloudflared') }))).rejects.toThrow(CloudflaredNotUsableError);
    await expect(findCloudflared(opts({ explicit: join(dir, 'typo', 'cloudflared') }))).rejects.toThrow(/--cloudflared .*typo.*no executable file/);
    await expect(findCloudflared(opts({ explicit: undefined, env: { CLOUDFLARED_BIN: join(dir, 'opt') } }))).rejects.toThrow(/CLOUDFLARED_BIN .*no executable file/);
    // Empty means unset.
    expect((await findCloudflared(opts({ explicit: '', env: { CLOUDFLARED_BIN: ' ' } })))?.source).toBe('npm');
  });

  it('knows the usual install locations of each platform', () => {
    expect(usualLocations('linux', { HOME: '/home/ada' })).toEqual(expect.arrayContaining(['/usr/local/bin/cloudflared', '/usr/bin/cloudflared', '/home/ada/.local/bin/cloudflared']));
    expect(usualLocations('darwin', { HOME: '/Users/ada' }).slice(0, 2)).toEqual(['/opt/homebrew/bin/cloudflared', '/usr/local/bin/cloudflared']);
    expect(usualLocations('win32', { ProgramFiles: 'C:\\Program Files', LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local', USERPROFILE: 'C:\\Users\\ada' })).toEqual(
      expect.arrayContaining(['C:\\Program Files\\cloudflared\\cloudflared.exe', 'C:\\Users\\ada\\AppData\\Local\\Microsoft\\WinGet\\Links\\cloudflared.exe']),
    );
  });

  it('tells how to install it where it is missing', () => {
    expect(installHint('darwin')).toMatch(/brew install cloudflared/);
    expect(installHint('linux')).toMatch(/pkg\.cloudflare\.com/);
    expect(installHint('linux')).toMatch(/npm i -g cloudflared/);
    expect(installHint('win32')).toMatch(/winget install/);
    for (const p of ['linux', 'darwin', 'win32'] as const) expect(installHint(p)).toMatch(/--cloudflared <path>/);
  });
});
