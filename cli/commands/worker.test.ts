import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome, type TempHome } from '../../main/testing/harness.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { newMembership, saveMembership } from '../../worker-runtime/credentials.ts';
import { workerDirs } from '../../worker-runtime/dirs.ts';
import { buildCli } from '../cli.ts';

/** `cohort programs`, `leave` and `run --program` in this process, against memberships laid out on disk. */
let home: TempHome;
let saved: string | undefined;
beforeEach(async () => {
  home = await tempHome();
  saved = process.env.COHORT_HOME;
  process.env.COHORT_HOME = home.dir;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.COHORT_HOME;
  else process.env.COHORT_HOME = saved;
  await home.cleanup();
});

async function cohort(...args: string[]): Promise<{ out: string; err: string; error: Error | null }> {
  let out = '';
  let err = '';
  const cli = buildCli((t) => (out += `${t}\n`), (t) => (err += `${t}\n`));
  cli.exitOverride();
  const error = await cli.parseAsync(['node', 'cohort', ...args]).then(() => null, (e: unknown) => e as Error);
  return { out, err, error };
}

const fields = (url: string) => ({ program: 'quadratic', url, token: 't', memberId: 'm_1', name: 'ada', joinedAt: '2025-01-01T00:00:00.000Z' });

describe('choosing a membership on the command line', () => {
  it('`programs` lists ids (what --program takes) and a line per unreadable file; an ambiguous name is refused with the choices', async () => {
    const paths = cohortPaths({ COHORT_HOME: home.dir });
    const a = newMembership(fields('http://127.0.0.1:8080'));
    const b = newMembership(fields('https://words.trycloudflare.com'));
    await saveMembership(paths, a);
    await saveMembership(paths, b);
    const broken = join(paths.configDir, 'memberships', 'cubic.json');
    await writeFile(broken, '{"program": "cubic"');

    const listed = await cohort('programs');
    expect(listed.error).toBeNull();
    expect(listed.out).toMatch(/^ID\s+PROGRAM\s+URL\s+MEMBER\s+NAME\s+JOINED/);
    expect(listed.out).toContain(a.id);
    expect(listed.out).toContain(b.id);
    expect(listed.err).toContain(`! The membership file ${broken} is not valid JSON`);

    const run = await cohort('run', '--program', 'quadratic');
    expect(run.error?.name).toBe('CliError');
    expect(run.error?.message).toContain(`--program ${a.id}    (quadratic at http://127.0.0.1:8080)`);
    expect(run.error?.message).toContain(`--program ${b.id}    (quadratic at https://words.trycloudflare.com)`);

    const cubic = await cohort('run', '--program', 'cubic');
    expect(cubic.error?.name).toBe('CliError');
    expect(cubic.error?.message).toMatch(/cubic\.json is not valid JSON .*delete it and join the program again with `cohort join <url>`/);

    const left = await cohort('leave', '--program', 'quadratic@127.0.0.1:8080');
    expect(left.error).toBeNull();
    expect(left.out).toContain(`Forgot the membership of "quadratic" at http://127.0.0.1:8080 (${a.id})`);
    expect((await cohort('programs')).out).not.toContain(a.id);
  });

  it('`leave` says how big the program home is, keeps it by default without a terminal, and removes it with --remove-home (links not followed)', async () => {
    const paths = cohortPaths({ COHORT_HOME: home.dir });
    const a = newMembership(fields('http://127.0.0.1:8080'));
    const b = newMembership(fields('http://127.0.0.1:9090'));
    await saveMembership(paths, a);
    await saveMembership(paths, b);
    const outside = join(home.dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'precious.txt'), 'x'.repeat(5000));
    for (const m of [a, b]) {
      const h = workerDirs(paths, m).home;
      await mkdir(join(h, '.cache', 'data'), { recursive: true });
      await writeFile(join(h, '.cache', 'data', 'shard.bin'), Buffer.alloc(3 * 1024 * 1024));
      await symlink(outside, join(h, 'link-out')); // a run's link: counted as a link, never followed
    }

    const kept = await cohort('leave', '--program', a.id);
    expect(kept.error).toBeNull();
    const homeA = workerDirs(paths, a).home;
    expect(kept.out).toContain(`The program home ${homeA} holds 3.0 MiB in 2 files (what setup installed and downloaded); it stays (\`rm -rf ${homeA}\` removes it).`);
    expect((await readdir(homeA)).sort()).toEqual(['.cache', 'link-out']);

    const removed = await cohort('leave', '--program', b.id, '--remove-home');
    expect(removed.error).toBeNull();
    expect(removed.out).toContain(`Removed ${workerDirs(paths, b).home} (3.0 MiB).`);
    await expect(readdir(workerDirs(paths, b).home)).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toHaveLength(5000);
  });

  it('`programs` migrates a membership an older Cohort saved under the program\'s name', async () => {
    const paths = cohortPaths({ COHORT_HOME: home.dir });
    await mkdir(join(paths.configDir, 'memberships'), { recursive: true });
    await writeFile(join(paths.configDir, 'memberships', 'quadratic.json'), JSON.stringify(fields('http://127.0.0.1:8080')));
    const id = newMembership(fields('http://127.0.0.1:8080')).id;
    expect((await cohort('programs')).out).toContain(id);
    expect(await readdir(join(paths.configDir, 'memberships'))).toEqual([`${id}.json`]);
  });
});
