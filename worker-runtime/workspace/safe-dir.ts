/**
 * File operations inside a folder that code we do not trust has written to (docs/design.md, "Trust
 * boundaries on the worker"). Nothing here follows a symbolic link or opens a special file, at the
 * last component or at any folder on the way: each folder is opened with O_NOFOLLOW | O_DIRECTORY
 * and the next name is looked up *in that open folder*, so a folder renamed or swapped for a link
 * between two steps cannot redirect us. On Linux "in that open folder" is `/proc/self/fd/N/name`,
 * which the kernel resolves relative to the descriptor (openat by another name); elsewhere the
 * folder's path stands in, which leaves a window between the check and the use (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import { constants, existsSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
const VIA_PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/** What was found at a path the worker manages where it expected a regular file or a real folder. */
export type Found = 'symbolic link' | 'folder' | 'file' | 'special file' | 'hard-linked file' | 'file too large' | 'inaccessible path';

/** A path inside the folder holds something the worker will not touch; the caller decides what that means. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
  readonly path: string;
  readonly found: Found;

  constructor(path: string, found: Found, detail?: string) {
    super(`${path} is ${detail ?? `a ${found}`}`);
    this.path = path;
    this.found = found;
  }
}

/** An open folder: its descriptor, and (for messages, and where /proc is missing) the path it was opened at. */
interface Dir {
  handle: FileHandle;
  path: string;
  /** The relative path from the root, for messages. */
  rel: string;
}

function foundOf(st: Stats): Found {
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isDirectory()) return 'folder';
  if (st.isFile()) return 'file';
  return 'special file';
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** One name, for one path component: no separators, no `.`/`..` (paths are split by the caller). */
function components(rel: string): string[] {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) throw new Error(`not a plain relative path: ${JSON.stringify(rel)}`);
  return parts;
}

/**
 * A folder the worker manages, opened without following links. Every method takes a relative path
 * with `/` separators and refuses (UnsafePathError) when a component on the way is not a real
 * folder or the last one is not what the method wants.
 */
export class SafeDir {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** `dir/name`, looked up in the open folder itself where the platform allows it. */
  #at(dir: Dir, name: string): string {
    return VIA_PROC_FD ? `/proc/self/fd/${dir.handle.fd}/${name}` : join(dir.path, name);
  }

  async #openRoot(): Promise<Dir> {
    try {
      return { handle: await open(this.root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), path: this.root, rel: '.' };
    } catch (err) {
      if (code(err) === 'ELOOP' || code(err) === 'ENOTDIR') throw new UnsafePathError(this.root, foundOf(await lstat(this.root)), undefined);
      throw err;
    }
  }

  /** Opens `parts` one folder at a time; null when one is missing and `create` is off. Closes what it opened on failure. */
  async #openFolders(parts: readonly string[], create: boolean): Promise<Dir | null> {
    let dir = await this.#openRoot();
    try {
      for (const name of parts) {
        const rel = dir.rel === '.' ? name : `${dir.rel}/${name}`;
        const next = await this.#openChild(dir, name, rel, create);
        await dir.handle.close();
        if (next === null) return null;
        dir = next;
      }
      return dir;
    } catch (err) {
      await dir.handle.close().catch(() => undefined);
      throw err;
    }
  }

  async #openChild(dir: Dir, name: string, rel: string, create: boolean): Promise<Dir | null> {
    const path = this.#at(dir, name);
    for (let attempt = 0; ; attempt++) {
      try {
        return { handle: await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), path: join(dir.path, name), rel };
      } catch (err) {
        if (code(err) === 'ENOENT') {
          if (!create) return null;
          if (attempt > 0) throw err;
          // mkdir never follows a link at the last component: a link planted meanwhile gives EEXIST.
          await mkdir(path, { mode: 0o755 }).catch((e: unknown) => {
            if (code(e) !== 'EEXIST') throw e;
          });
          continue;
        }
        if (code(err) === 'ELOOP' || code(err) === 'ENOTDIR') throw new UnsafePathError(rel, foundOf(await lstat(path)), undefined);
        throw err;
      }
    }
  }

  async #withParent<T>(rel: string, create: boolean, fn: (dir: Dir, name: string) => Promise<T>, missing: T): Promise<T> {
    const parts = components(rel);
    const name = parts.pop()!;
    try {
      const dir = await this.#openFolders(parts, create);
      if (dir === null) return missing;
      try {
        return await fn(dir, name);
      } finally {
        await dir.handle.close();
      }
    } catch (err) {
      // Permissions the worker never set (a run may chmod what it can write) count as tampering too.
      if (code(err) === 'EACCES' || code(err) === 'EPERM') throw new UnsafePathError(rel, 'inaccessible path', 'not accessible: its permissions, or a folder\'s on the way, were changed');
      throw err;
    }
  }

  /** What is at `rel` (the last component's own type, never a link's target); 'missing' when nothing is. */
  async kind(rel: string): Promise<Found | 'missing'> {
    return this.#withParent(rel, false, async (dir, name) => {
      try {
        return foundOf(await lstat(this.#at(dir, name)));
      } catch (err) {
        if (code(err) === 'ENOENT') return 'missing';
        throw err;
      }
    }, 'missing');
  }

  /**
   * The bytes of a regular file with one link (a hard link could be a file outside, e.g. a token),
   * at most `maxBytes`; null when nothing is there. Anything else at `rel` is refused.
   */
  async read(rel: string, maxBytes: number): Promise<Buffer | null> {
    return this.#withParent(rel, false, async (dir, name) => {
      const path = this.#at(dir, name);
      let before: Stats;
      try {
        before = await lstat(path);
      } catch (err) {
        if (code(err) === 'ENOENT') return null;
        throw err;
      }
      // Checked before open: opening a FIFO or a device can block or have effects of its own.
      if (!before.isFile()) throw new UnsafePathError(rel, foundOf(before));
      const handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch(async (err: unknown) => {
        if (code(err) === 'ELOOP') throw new UnsafePathError(rel, 'symbolic link');
        throw err;
      });
      try {
        const st = await handle.stat();
        if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) throw new UnsafePathError(rel, foundOf(st), 'a file that was replaced while being read');
        if (st.nlink > 1) throw new UnsafePathError(rel, 'hard-linked file', `a file with ${st.nlink} hard links (it may be a file from outside the workspace)`);
        if (st.size > maxBytes) throw new UnsafePathError(rel, 'file too large', `${st.size} bytes, over the ${maxBytes}-byte limit`);
        const buf = Buffer.alloc(st.size);
        const { bytesRead } = await handle.read(buf, 0, st.size, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    }, null);
  }

  /**
   * Writes `content` at `rel`, creating missing folders. The bytes go to a new file that is renamed
   * over the old one, so a hard link at `rel` is replaced, never written through. A link, folder or
   * special file there is refused: where the worker keeps a file, anything else means someone else
   * has been at it.
   */
  async write(rel: string, content: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
    await this.#withParent(rel, true, async (dir, name) => {
      const path = this.#at(dir, name);
      const existing = await lstat(path).catch((err: unknown) => {
        if (code(err) === 'ENOENT') return null;
        throw err;
      });
      if (existing !== null && !existing.isFile()) throw new UnsafePathError(rel, foundOf(existing));
      const tmpName = `.cohort-${randomBytes(6).toString('hex')}.tmp`;
      const tmp = this.#at(dir, tmpName);
      const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, opts.mode ?? 0o644);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      try {
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        if (code(err) === 'EISDIR' || code(err) === 'ENOTEMPTY' || code(err) === 'EEXIST') throw new UnsafePathError(rel, 'folder');
        throw err;
      }
    }, undefined);
  }

  /** Removes the regular file at `rel` (nothing there is fine); anything else there is refused. */
  async remove(rel: string): Promise<void> {
    await this.#withParent(rel, false, async (dir, name) => {
      const path = this.#at(dir, name);
      const st = await lstat(path).catch((err: unknown) => {
        if (code(err) === 'ENOENT') return null;
        throw err;
      });
      if (st === null) return;
      if (!st.isFile()) throw new UnsafePathError(rel, foundOf(st));
      await unlink(path).catch((err: unknown) => {
        if (code(err) !== 'ENOENT') throw err;
      });
    }, undefined);
  }
}
