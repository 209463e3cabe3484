import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { ServiceError } from '../errors.ts';

/** A submitted patch that cannot be applied, or touches what it may not. The message goes to the member. */
export class PatchError extends ServiceError {
  override name = 'PatchError';
  constructor(message: string) {
    super('invalid_patch', message);
  }
}

export type Files = ReadonlyMap<string, string>;

const DEV_NULL = '/dev/null';

/**
 * Line comparisons one patch may cost while its hunks are fitted. A patch made against the code it
 * names needs about one per hunk line; a stale one scans each file once per hunk. Far beyond both,
 * and it keeps one submission from holding the host's event loop for seconds.
 */
export const MAX_LINE_COMPARISONS = 2_000_000;

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `a/train.py` → `train.py`; refuses anything that is not a plain relative path. */
function patchPath(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') throw new PatchError('the patch has a file header without a file name ("--- a/FILE" and "+++ b/FILE" lines before each file\'s hunks)');
  const name = raw.split('\t')[0]!.trim();
  if (name === DEV_NULL) return null;
  const path = name.replace(/^[ab]\//, '');
  if (path.startsWith('/') || path.includes('\\') || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new PatchError(`the patch names "${clip(name)}": only relative paths inside the program folder are allowed (no "..", no "." segments, no absolute paths), e.g. "a/train.py"`);
  }
  return path;
}

/**
 * Git's extended header lines: each says more than "change these lines", and `parsePatch` would
 * silently skip it (a symlink would arrive as a text file holding the link target). They sit at
 * the start of a line, where a hunk line always starts with " ", "+", "-" or "\".
 */
function refuseGitExtensions(patchText: string): void {
  const lines = patchText.split('\n').map((l) => l.replace(/\r$/, ''));
  /** Calls `check` on each line with the file the latest `diff --git` line names. */
  const scan = (check: (line: string, file: string, at: string) => void): void => {
    let file = 'a file';
    for (const [n, line] of lines.entries()) {
      const git = /^diff --git "?a\/(.*?)"? "?b\//.exec(line);
      if (git) file = `"${clip(git[1]!)}"`;
      else check(line, file, `(line ${n + 1}: "${clip(line)}")`);
    }
  };
  // Links first: "old mode 100644" / "new mode 120000" is a symlink before it is a mode change.
  scan((line, file, at) => {
    const mode = /^(?:old mode|new mode|new file mode|deleted file mode|index \S+) (\d{6})\s*$/.exec(line)?.[1];
    if (mode === '120000') {
      throw new PatchError(`the patch makes ${file} a symbolic link ${at}; editable files must stay regular text files: send a diff of their content only`);
    }
    if (mode === '160000') {
      throw new PatchError(`the patch makes ${file} a git submodule ${at}; editable files must stay regular text files: send a diff of their content only`);
    }
  });
  scan((line, file, at) => {
    if (/^new file mode /.test(line)) {
      throw new PatchError(`the patch creates ${file} ${at}; only the editable files may be changed, none may be added`);
    }
    if (/^deleted file mode /.test(line)) {
      throw new PatchError(`the patch deletes ${file} ${at}; editable files may be changed but not deleted`);
    }
    if (/^(?:old|new) mode /.test(line)) {
      throw new PatchError(`the patch changes the file mode of ${file} ${at}; only content changes are accepted: drop the mode lines (git config core.fileMode false)`);
    }
    if (/^(?:rename|copy) (?:from|to) |^(?:dis)?similarity index /.test(line)) {
      throw new PatchError(`the patch renames or copies ${file} ${at}; renames and copies are not allowed: send a diff of the content (git diff --no-renames)`);
    }
    if (/^GIT binary patch\s*$|^Binary files .* differ\s*$/.test(line)) {
      throw new PatchError(`the patch is a binary patch of ${file} ${at}; editable files are text: send a text unified diff`);
    }
  });
}

/**
 * Applies a unified diff of the editable files to the files it started from. Only the program's
 * editable files may change, which is what keeps a member from rewriting prepare.py or the
 * evaluation; they may be changed, never created, deleted, renamed, made links or binary. An
 * empty patch means "no change".
 */
export function applyEditablePatch(base: Files, patchText: string, editable: readonly string[]): Map<string, string> {
  const files = new Map(base);
  if (patchText.trim() === '') return files;
  refuseGitExtensions(patchText);
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(patchText);
  } catch (err) {
    throw new PatchError(`the patch is not a unified diff: ${clip((err as Error).message, 200)}`);
  }
  const real = patches.filter((p) => p.hunks.length > 0 || p.oldFileName !== undefined || p.newFileName !== undefined);
  if (real.length === 0) {
    throw new PatchError('the patch contains no file changes (no "--- a/FILE", "+++ b/FILE" and "@@" hunk lines); send a unified diff such as `git diff` prints, or an empty patch for "no change"');
  }
  let comparisons = 0;
  const compareLine = (_lineNumber: number, line: string, _operation: string, content: string): boolean => {
    if (++comparisons > MAX_LINE_COMPARISONS) {
      throw new PatchError('the patch takes too much searching to apply: its hunks\' line numbers do not match the code it started from; make it against the champion named in "parent"');
    }
    return line === content;
  };
  for (const p of real) {
    const from = patchPath(p.oldFileName);
    const to = patchPath(p.newFileName);
    const target = to ?? from;
    if (target === null) throw new PatchError('the patch has a change from /dev/null to /dev/null');
    for (const path of [from, to]) {
      if (path !== null && !editable.includes(path)) {
        throw new PatchError(`the patch changes "${clip(path)}", which is not editable (editable: ${editable.join(', ')})`);
      }
    }
    if (from !== null && to !== null && from !== to) throw new PatchError(`the patch renames "${from}" to "${to}"; renames are not allowed`);
    if (from === null) throw new PatchError(`the patch creates "${target}" ("--- /dev/null"); editable files may be changed, not created: diff against the existing file`);
    if (to === null) throw new PatchError(`the patch deletes "${target}" ("+++ /dev/null"); editable files may be changed but not deleted`);
    const source = files.get(from);
    if (source === undefined) throw new PatchError(`the patch changes "${from}", which does not exist in the code it started from`);
    // A hunk placed past the end would make applyPatch pad the file with that many empty lines
    // (or walk that many positions looking for a fit): refuse it rather than inflate or stall.
    const lineCount = source === '' ? 0 : source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
    for (const [i, hunk] of p.hunks.entries()) {
      // parsePatch adds 1 to the start of a hunk with no old lines ("@@ -4,0 +5 @@" inserts after line 4).
      if (!(hunk.oldStart <= lineCount + 1)) {
        const written = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
        throw new PatchError(`hunk ${i + 1} of "${target}" starts at line ${written}, but the file has ${lineCount} lines in the code it started from (is "parent" the champion you started from?)`);
      }
    }
    const out = applyPatch(source, p, { compareLine });
    if (out === false) throw new PatchError(`the patch does not apply to "${target}" of the code it started from (is "parent" the champion you started from?)`);
    files.set(target, out);
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
