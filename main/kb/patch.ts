import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { ServiceError } from '../errors.ts';

/** A submitted patch that cannot be applied, or touches what it may not. The message goes to the member. */
export class PatchError extends ServiceError {
  override name = 'PatchError';
  constructor(message: string) {
    super(400, 'invalid_patch', message);
  }
}

export type Files = ReadonlyMap<string, string>;

const DEV_NULL = '/dev/null';

/** `a/train.py` → `train.py`; refuses anything that is not a plain relative path. */
function patchPath(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') throw new PatchError('the patch has a file header without a file name');
  const name = raw.split('\t')[0]!.trim();
  if (name === DEV_NULL) return null;
  const path = name.replace(/^[ab]\//, '');
  if (path.startsWith('/') || path.includes('\\') || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new PatchError(`the patch names "${name}": only relative paths inside the program folder are allowed (no "..", no absolute paths)`);
  }
  return path;
}

/**
 * Applies a unified diff of the editable files to the files it started from. Only the program's
 * editable files may change, which is what keeps a member from rewriting prepare.py or the
 * evaluation. An empty patch means "no change".
 */
export function applyEditablePatch(base: Files, patchText: string, editable: readonly string[]): Map<string, string> {
  const files = new Map(base);
  if (patchText.trim() === '') return files;
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(patchText);
  } catch (err) {
    throw new PatchError(`the patch is not a unified diff: ${(err as Error).message}`);
  }
  const real = patches.filter((p) => p.hunks.length > 0 || p.oldFileName !== undefined || p.newFileName !== undefined);
  if (real.length === 0) throw new PatchError('the patch contains no file changes; send an empty patch for "no change"');
  for (const p of real) {
    const from = patchPath(p.oldFileName);
    const to = patchPath(p.newFileName);
    const target = to ?? from;
    if (target === null) throw new PatchError('the patch has a change from /dev/null to /dev/null');
    for (const path of [from, to]) {
      if (path !== null && !editable.includes(path)) {
        throw new PatchError(`the patch changes "${path}", which is not editable (editable: ${editable.join(', ')})`);
      }
    }
    if (from !== null && to !== null && from !== to) throw new PatchError(`the patch renames "${from}" to "${to}"; renames are not allowed`);
    const source = from === null ? '' : files.get(from);
    if (source === undefined) throw new PatchError(`the patch changes "${from}", which does not exist in the code it started from`);
    if (from === null && files.has(target)) throw new PatchError(`the patch creates "${target}", which already exists`);
    const out = applyPatch(source, p);
    if (out === false) throw new PatchError(`the patch does not apply to "${target}" of the code it started from (is "parent" the champion you started from?)`);
    if (to === null) files.delete(target);
    else files.set(target, out);
  }
  return files;
}

/** The editable subset of a file set, as a champion carries it. */
export function editableFiles(files: Files, editable: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of editable) {
    const content = files.get(path);
    if (content !== undefined) out.set(path, content);
  }
  return out;
}
