import type { ProgramFile } from '../../protocol/index.ts';
import { WorkerError } from '../credentials.ts';

/**
 * How much a host may hand a worker. The host's own loader keeps programs far smaller (500 files,
 * 1 MiB each, 8 MiB in all: main/program/load-program.ts), so these only stop a hostile or broken
 * host from filling the disk; a real program never comes near them.
 */
export interface HostFileLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_HOST_FILE_LIMITS: HostFileLimits = { maxFiles: 2_000, maxFileBytes: 8 * MiB, maxTotalBytes: 64 * MiB };

/** The folder the worker reserves in a workspace; no program file may live there. */
const RESERVED = '.cohort';
/** Control characters (C0, DEL, C1) have no business in a file name, and would reach terminals. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The host sent files this worker will not write; nothing was written, the workspace is as it was. */
export class HostFilesError extends WorkerError {
  override name = 'HostFilesError';
}

function refuse(path: string, why: string): never {
  throw new HostFilesError(`The host sent a program file this worker will not write: ${JSON.stringify(path)} ${why}. Nothing was written; your workspace is unchanged. Tell the program's owner.`);
}

/**
 * Checks the program files a host sent before any is written (docs/design.md, "Trust boundaries on the
 * worker"): bounded in count and size, plain relative paths (the protocol schema already refused
 * absolute and `..` paths), nothing in `.cohort/`, no path that is both a file and a folder, and no
 * two paths that differ only in case (they would be one file on macOS and Windows).
 */
export function checkHostFiles(files: readonly ProgramFile[], editable: readonly string[] = [], limits: HostFileLimits = DEFAULT_HOST_FILE_LIMITS): void {
  if (files.length > limits.maxFiles) {
    throw new HostFilesError(`The host sent ${files.length} program files, over this worker's limit of ${limits.maxFiles}. Nothing was written; your workspace is unchanged. Tell the program's owner.`);
  }
  const seen = new Map<string, string>();
  const folders = new Set<string>();
  let total = 0;
  for (const { path, content } of files) {
    if (CONTROL.test(path)) refuse(path, 'has control characters in its name');
    const parts = path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) refuse(path, 'is not a plain relative path');
    if (parts[0] === RESERVED) refuse(path, `lies in ${RESERVED}/, which the worker keeps for itself`);
    const bytes = Buffer.byteLength(content);
    if (bytes > limits.maxFileBytes) refuse(path, `is ${bytes} bytes, over the limit of ${limits.maxFileBytes} bytes for one file`);
    total += bytes;
    if (total > limits.maxTotalBytes) refuse(path, `brings the program's files to ${total} bytes, over the limit of ${limits.maxTotalBytes} bytes in all`);
    const folded = path.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) refuse(path, earlier === path ? 'was sent twice' : `differs from ${JSON.stringify(earlier)} only in case`);
    seen.set(folded, path);
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/').toLowerCase());
  }
  // An editable file that was not sent is still a file the worker will read and write.
  for (const path of editable) {
    if (CONTROL.test(path)) refuse(path, 'is an editable file with control characters in its name');
    if (path.split('/')[0] === RESERVED) refuse(path, `is an editable file in ${RESERVED}/, which the worker keeps for itself`);
    const folded = path.toLowerCase();
    if (!seen.has(folded)) seen.set(folded, path);
    else if (seen.get(folded) !== path) refuse(path, `is an editable file that differs from ${JSON.stringify(seen.get(folded))} only in case`);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/').toLowerCase());
  }
  for (const [folded, path] of seen) if (folders.has(folded)) refuse(path, 'is sent as a file, and also as a folder holding other files');
}
