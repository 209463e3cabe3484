import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, type TempHome } from '../main/testing/harness.ts';
import { AmbiguousMembershipError, forgetMembership, listMemberships, newMembership, pickMembership, readMemberships, saveMembership, WorkerError } from './credentials.ts';
import { workerDirs } from './dirs.ts';
import { membershipId, normaliseHostUrl } from './membership-id.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

const fields = (url: string, program = 'quadratic') => ({ program, url, token: `tok-${url}`, memberId: 'm_1', name: 'ada', joinedAt: '2025-01-01T00:00:00.000Z' });
const membershipsDir = (h: TempHome) => join(h.paths.configDir, 'memberships');

describe('membership ids', () => {
  it('are the program name and a hash of the normalised host and program: stable, distinct per host, safe as a file name', () => {
    const id = membershipId('https://a.example', 'quadratic');
    expect(id).toMatch(/^quadratic-[0-9a-f]{10}$/);
    expect(membershipId('HTTPS://A.example:443/', 'quadratic')).toBe(id);
    expect(normaliseHostUrl('http://Host:80/x/')).toBe('http://host/x');
    expect(membershipId('https://b.example', 'quadratic')).not.toBe(id);
    expect(membershipId('https://a.example', 'cubic')).not.toBe(id);
    // A hostile host's program name cannot choose a path.
    expect(membershipId('https://a.example', '../../.ssh/x')).toMatch(/^ssh-x-[0-9a-f]{10}$/);
  });
});

describe('memberships per host and program', () => {
  it('two hosts may both publish "quadratic": two memberships, picked by id or name@host; the name alone says how to choose', async () => {
    home = await tempHome();
    const a = newMembership(fields('http://127.0.0.1:8080'));
    const b = newMembership(fields('https://words.trycloudflare.com'));
    expect(await saveMembership(home.paths, a)).toMatchObject({ replaced: false, file: join(membershipsDir(home), `${a.id}.json`) });
    await saveMembership(home.paths, b);
    expect((await stat(join(membershipsDir(home), `${a.id}.json`))).mode & 0o777).toBe(0o600);
    expect((await listMemberships(home.paths)).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());

    const ambiguous = await pickMembership(home.paths, 'quadratic').catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(AmbiguousMembershipError);
    expect((ambiguous as Error).message).toContain(`--program ${a.id}    (quadratic at http://127.0.0.1:8080)`);
    expect((ambiguous as Error).message).toContain(`--program ${b.id}    (quadratic at https://words.trycloudflare.com)`);
    await expect(pickMembership(home.paths)).rejects.toThrow(/joined 2 programs; pick one with --program/);
    expect(await pickMembership(home.paths, a.id)).toEqual(a);
    expect(await pickMembership(home.paths, 'quadratic@127.0.0.1:8080')).toEqual(a);
    expect(await pickMembership(home.paths, 'quadratic@words.trycloudflare.com')).toEqual(b);
    await expect(pickMembership(home.paths, 'cubic')).rejects.toThrow(/not joined "cubic"; joined:\n {2}--program quadratic-/);
    // Their folders are apart.
    expect(workerDirs(home.paths, a).outbox).not.toBe(workerDirs(home.paths, b).outbox);

    // Joining the same host's program again replaces that membership; the other stays.
    const again = newMembership({ ...fields('http://127.0.0.1:8080/'), token: 'new-token' });
    expect(again.id).toBe(a.id);
    expect(await saveMembership(home.paths, again)).toMatchObject({ replaced: true });
    expect(await listMemberships(home.paths)).toHaveLength(2);
    expect((await pickMembership(home.paths, a.id)).token).toBe('new-token');

    expect(await forgetMembership(home.paths, a)).toBe(true);
    expect(await pickMembership(home.paths, 'quadratic')).toEqual(b);
  });
});

describe('migration from memberships named after the program', () => {
  /** The layout an older Cohort left: `<program>.json` without an id, folders named after the program. */
  async function oldLayout(h: TempHome, program = 'quadratic', url = 'http://127.0.0.1:8080'): Promise<void> {
    await mkdir(membershipsDir(h), { recursive: true });
    await writeFile(join(membershipsDir(h), `${program}.json`), JSON.stringify(fields(url, program), null, 2), { mode: 0o600 });
    for (const dir of ['workspaces', 'worker-state', 'outbox', 'cache']) {
      await mkdir(join(h.paths.dataDir, dir, program), { recursive: true });
      await writeFile(join(h.paths.dataDir, dir, program, 'marker.txt'), dir);
    }
  }

  it('moves the file to <id>.json and the folders to the id, once; running it again changes nothing', async () => {
    home = await tempHome();
    await oldLayout(home);
    const id = membershipId('http://127.0.0.1:8080', 'quadratic');

    const [m] = await listMemberships(home.paths);
    expect(m).toMatchObject({ id, program: 'quadratic', url: 'http://127.0.0.1:8080', token: 'tok-http://127.0.0.1:8080' });
    expect(await readdir(membershipsDir(home))).toEqual([`${id}.json`]);
    const file = join(membershipsDir(home), `${id}.json`);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ id });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const dirs = workerDirs(home.paths, m!);
    // What the old layout had (the program home came later).
    for (const key of ['workspace', 'state', 'outbox', 'runCache'] as const) {
      const dir = dirs[key];
      expect(await readFile(join(dir, 'marker.txt'), 'utf8'), key).toMatch(/./);
      await expect(stat(join(home.paths.dataDir, dir.split('/').at(-2)!, 'quadratic'))).rejects.toThrow(/ENOENT/);
    }

    expect(await listMemberships(home.paths)).toEqual([m]);
    expect(await readdir(membershipsDir(home))).toEqual([`${id}.json`]);
    expect(await pickMembership(home.paths, 'quadratic')).toEqual(m);
  });

  it('leaves an old folder in place when the membership already has its own, and the newer file wins', async () => {
    home = await tempHome();
    const current = newMembership({ ...fields('http://127.0.0.1:8080'), token: 'newer' });
    await saveMembership(home.paths, current);
    await mkdir(workerDirs(home.paths, current).workspace, { recursive: true });
    await oldLayout(home);

    expect(await listMemberships(home.paths)).toEqual([current]);
    expect(await readdir(membershipsDir(home))).toEqual([`${current.id}.json`]);
    expect(await readdir(workerDirs(home.paths, current).workspace)).toEqual([]);
  });
});

describe('corrupt membership files', () => {
  it('a file that is not JSON is reported by name with what to do, never a SyntaxError; the others still work', async () => {
    home = await tempHome();
    const good = newMembership(fields('http://127.0.0.1:8080', 'cubic'));
    await saveMembership(home.paths, good);
    const broken = join(membershipsDir(home), 'quadratic.json');
    await writeFile(broken, '{"program": "quadratic", "url": "http://127.0.0.1:9', { mode: 0o600 });
    const notOne = join(membershipsDir(home), 'other.json');
    await writeFile(notOne, '{"program": 3}');

    const { memberships, problems } = await readMemberships(home.paths);
    expect(memberships).toEqual([good]);
    expect(problems.map((p) => p.file)).toEqual([notOne, broken]);
    expect(problems[1]!.message).toMatch(/^The membership file .*quadratic\.json is not valid JSON \(.+\); delete it and join the program again with `cohort join <url>`/);
    expect(problems[0]!.message).toMatch(/other\.json is not a Cohort membership \(program: .*\)/);

    const picked = await pickMembership(home.paths, 'quadratic').catch((e: unknown) => e);
    expect(picked).toBeInstanceOf(WorkerError);
    expect(picked).not.toBeInstanceOf(SyntaxError);
    expect((picked as Error).message).toContain(broken);
    expect(await pickMembership(home.paths)).toEqual(good);
    // The broken file is left for the person to look at.
    expect(await readFile(broken, 'utf8')).toMatch(/^\{"program"/);
  });

  it('with only a broken file, picking names it instead of saying nothing was joined', async () => {
    home = await tempHome();
    await mkdir(membershipsDir(home), { recursive: true });
    await writeFile(join(membershipsDir(home), 'quadratic.json'), 'not json');
    await expect(pickMembership(home.paths)).rejects.toThrow(/quadratic\.json is not valid JSON/);
  });
});
