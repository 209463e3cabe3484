/**
 * Test support: tests run the real sandbox. Only where the kernel forbids user namespaces (a
 * locked-down container) do they fall back to unsandboxed runs, and they say so; a missing
 * bubblewrap is an error to fix (`sudo apt-get install bubblewrap`), not a reason to skip.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { detectSandbox, type SandboxSupport } from './detect.ts';
import { unavailableMessage } from './unavailable.ts';

export interface TestSandbox {
  support: SandboxSupport;
  /** Whether sandboxed runs can be tested here. */
  usable: boolean;
  /** Why not, for a skipped test's name. */
  skipReason: string | null;
  /** Spread into startWorker options: `{}` (default, sandboxed) or `{ sandbox: false }`. */
  option: { sandbox?: false };
  /** Extra `cohort run` arguments: `[]` or `['--no-sandbox']`. */
  cliArgs: string[];
}

export async function testSandbox(): Promise<TestSandbox> {
  const support = await detectSandbox();
  if (support.ok) return { support, usable: true, skipReason: null, option: {}, cliArgs: [] };
  if (support.kind !== 'userns-forbidden') throw new Error(unavailableMessage(support));
  const skipReason = `the kernel forbids user namespaces here, so runs cannot be sandboxed (${support.reason})`;
  console.warn(`[cohort tests] ${skipReason}; worker tests run unsandboxed and the sandbox tests are skipped`);
  return { support, usable: false, skipReason, option: { sandbox: false }, cliArgs: ['--no-sandbox'] };
}

/** Processes of this machine whose command line holds `marker` (zombies excepted); Linux. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '')) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
