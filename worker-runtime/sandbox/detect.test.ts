import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox, findBwrap } from './detect.ts';
import { SandboxUnavailableError, unavailableMessage } from './unavailable.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-detect-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A stand-in bwrap: answers --version and --help, and fails a real sandbox with `stderr`. */
async function fakeBwrap(name: string, stderr: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\ncase "$1" in\n  --version) echo "bubblewrap 0.9.0";;\n  --help) echo "    --disable-userns   Disable further use of user namespaces";;\n  *) echo ${JSON.stringify(stderr)} >&2; exit 1;;\nesac\n`);
  await chmod(file, 0o755);
  return file;
}

describe('detectSandbox', () => {
  it('finds bwrap on PATH first, then /usr/bin/bwrap', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'bwrap'), '#!/bin/sh\n');
    await chmod(join(bin, 'bwrap'), 0o755);
    expect(findBwrap(`relative/dir:${join(dir, 'nothing')}:${bin}`)).toBe(join(bin, 'bwrap'));
    expect(findBwrap(join(dir, 'nothing'))).toBe(existsSync('/usr/bin/bwrap') ? '/usr/bin/bwrap' : null);
  });

  it('refuses with the install command and the explicit way out when bwrap is missing', async () => {
    const support = await detectSandbox({ bwrap: join(dir, 'no-such-bwrap') });
    expect(support).toMatchObject({ ok: false, kind: 'missing' });
    const message = new SandboxUnavailableError(support as Extract<typeof support, { ok: false }>).message;
    expect(message).toContain('sudo apt-get install bubblewrap');
    expect(message).toContain('pass --no-sandbox explicitly');
    expect(message).toContain(`bubblewrap was not found at ${join(dir, 'no-such-bwrap')}`);
  });

  it('refuses on macOS and Windows, where there is no bubblewrap', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const support = await detectSandbox({ platform });
      expect(support).toMatchObject({ ok: false, kind: 'unsupported-os' });
      if (!support.ok) expect(unavailableMessage(support)).toMatch(new RegExp(`only on Linux, and this is ${platform}.*--no-sandbox`));
    }
  });

  it('tells a kernel that forbids user namespaces from a broken bubblewrap', async () => {
    const forbidden = await detectSandbox({ bwrap: await fakeBwrap('bwrap-userns', 'bwrap: setting up uid map: Permission denied') });
    expect(forbidden).toMatchObject({ ok: false, kind: 'userns-forbidden', reason: expect.stringContaining('setting up uid map') });
    const broken = await detectSandbox({ bwrap: await fakeBwrap('bwrap-broken', 'bwrap: something else entirely') });
    expect(broken).toMatchObject({ ok: false, kind: 'broken', reason: 'a trial sandbox failed: bwrap: something else entirely' });
  });

  it('probes the real bubblewrap of this machine', async () => {
    const support = await detectSandbox();
    if (!support.ok && support.kind === 'userns-forbidden') return; // said by the sandbox tests
    expect(support, support.ok ? '' : support.reason).toMatchObject({ ok: true, bwrap: expect.stringMatching(/bwrap$/), version: expect.stringMatching(/^\d+\.\d+/) });
    expect(await detectSandbox()).toBe(support); // remembered
  });
});
