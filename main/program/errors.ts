/**
 * Errors of the program loader. One error may carry several issues so that a UI can show each
 * next to its field, and a CLI can print them all at once instead of one per attempt.
 */

export type ProgramIssue = {
  /** The file the issue is about, relative to the program folder (or the folder itself). */
  file: string;
  /** Dotted path of the frontmatter field, e.g. `direction` or `search.lr.min`. */
  field: string | undefined;
  /** 1-based line in `file`. */
  line: number | undefined;
  /** The problem, without the `file:line:` prefix. */
  message: string;
};

/** `TASK.md:4: direction must be …` — the compiler-style location editors and terminals understand. */
export function formatIssue(issue: ProgramIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.message}`;
}

export class ProgramError extends Error {
  readonly file: string;
  readonly field: string | undefined;
  readonly line: number | undefined;
  readonly issues: readonly ProgramIssue[];

  /** The first issue gives `file`, `field` and `line`; the message lists every issue, one a line. */
  constructor(issues: readonly [ProgramIssue, ...ProgramIssue[]]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ProgramError';
    const [first] = issues;
    this.file = first.file;
    this.field = first.field;
    this.line = first.line;
    this.issues = issues;
  }

  /** Shorthand for the common single-issue case. */
  static at(file: string, message: string, where: { field?: string; line?: number } = {}): ProgramError {
    return new ProgramError([{ file, field: where.field, line: where.line, message }]);
  }
}
