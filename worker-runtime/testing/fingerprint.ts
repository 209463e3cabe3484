/**
 * Test support: everything about a folder tree that an attack could change — every entry's path,
 * type, mode, size and content hash, and where each link points — read without following links.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export async function fingerprint(...roots: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    let st;
    try {
      st = await lstat(path);
    } catch {
      out.set(path, 'missing');
      return;
    }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.set(path, `link ${await readlink(path)}`);
    else if (st.isFile()) out.set(path, `file ${mode} ${st.size} ${createHash('sha256').update(await readFile(path)).digest('hex')}`);
    else if (st.isDirectory()) {
      out.set(path, `dir ${mode}`);
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
    } else out.set(path, `special ${mode}`);
  };
  for (const root of roots) await visit(root);
  return out;
}
