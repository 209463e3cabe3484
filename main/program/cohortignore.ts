/**
 * `.cohortignore` in the program folder's root: gitignore syntax, read by the `ignore` package
 * (the gitignore matcher eslint uses), so the rules an owner already knows from git apply as is.
 */
import ignore from 'ignore';

export const COHORTIGNORE = '.cohortignore';

/** The rule that leaves a path out, for messages that point at the line to change. */
export type IgnoreRule = { line: number; pattern: string };

export type CohortIgnore = {
  /** The rule that leaves `rel` out (posix, relative to the folder), or one of its parent folders; undefined when it ships. */
  match(rel: string, isDir: boolean): IgnoreRule | undefined;
};

export const NO_RULES: CohortIgnore = { match: () => undefined };

export function parseCohortIgnore(text: string): CohortIgnore {
  // Each line is added on its own, marked with its number, so a match can name its line.
  const rules = ignore().add(text.split(/\r?\n/).map((pattern, i) => ({ pattern, mark: String(i + 1) })));
  return {
    match(rel, isDir) {
      // A trailing "/" is how the matcher knows a folder; `build/` matches folders only, as in git.
      const result = rules.test(isDir ? `${rel}/` : rel);
      if (!result.ignored || result.rule === undefined) return undefined;
      return { line: Number(result.rule.mark), pattern: result.rule.pattern };
    },
  };
}

export function describeRule(rule: IgnoreRule): string {
  return `.cohortignore line ${rule.line} ("${rule.pattern}")`;
}
