/**
 * The listing of what a program ships (protocol/manifest.ts): built while the folder is walked, so
 * the owner sees exactly what the loader kept and why it left the rest out.
 */
import { MAX_LEFT_OUT_LISTED } from '../../protocol/manifest.ts';
import type { LeftOutEntry, ProgramManifest } from '../../protocol/manifest.ts';
import type { ProgramFile } from '../../protocol/task.ts';

/** Left-out entries in walk order, bounded: a folder of 100 000 CSVs must not make a 100 000-line listing. */
export class LeftOut {
  readonly entries: LeftOutEntry[] = [];
  count = 0;

  /** `path` ends with "/" for a folder. */
  add(path: string, why: string): void {
    this.count += 1;
    if (this.entries.length < MAX_LEFT_OUT_LISTED) this.entries.push({ path, why });
  }
}

export function buildManifest(files: readonly ProgramFile[], leftOut: LeftOut): ProgramManifest {
  const shipped = files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.content) }));
  return {
    files: shipped,
    count: shipped.length,
    bytes: shipped.reduce((sum, f) => sum + f.bytes, 0),
    left_out: [...leftOut.entries],
    left_out_count: leftOut.count,
  };
}
