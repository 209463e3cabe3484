import { lstat, opendir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeSize {
  bytes: number;
  files: number;
}

/**
 * How much a folder written by runs holds (a program home: virtual environments, datasets, caches).
 * Never follows a link (a run may have planted one to anywhere) and counts what is there, not
 * where it points; a folder that vanishes meanwhile counts as empty.
 */
export async function treeSize(dir: string): Promise<TreeSize> {
  const total: TreeSize = { bytes: 0, files: 0 };
  const pending = [dir];
  while (pending.length > 0) {
    const here = pending.pop()!;
    let entries;
    try {
      entries = await opendir(here);
    } catch {
      continue;
    }
    for await (const entry of entries) {
      const path = join(here, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      const s = await lstat(path).catch(() => null);
      if (s === null) continue;
      total.files += 1;
      total.bytes += s.size;
    }
  }
  return total;
}

/** "1.2 GiB", "340 MiB", "12 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} bytes` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}

/** Removes a program home; links in it are removed, never followed. */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
