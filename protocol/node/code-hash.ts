import { createHash } from 'node:crypto';

/**
 * Identity of a piece of code (docs/design.md, "Rules of the KB" → Ties): SHA-256 over the editable files, absent ones
 * counted as absent. Host and worker compute it the same way, so a worker can skip a change that
 * was already tried. Node-only, so not exported from protocol/index.ts.
 */
export function codeHash(files: ReadonlyMap<string, string>, editable: readonly string[]): string {
  const h = createHash('sha256');
  for (const path of [...editable].sort()) {
    const content = files.get(path);
    h.update(path).update('\0').update(content === undefined ? '\u0001absent' : `\u0002${content}`).update('\0');
  }
  return h.digest('hex');
}
