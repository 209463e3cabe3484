export { ProgramError, formatIssue } from './errors.ts';
export type { ProgramIssue } from './errors.ts';
export { parseTaskMd, parseTaskMdWithLines, splitTaskMd } from './frontmatter.ts';
export type { ParsedTaskMd, SplitTaskMd } from './frontmatter.ts';
export { loadProgram, validateProgramDir } from './load-program.ts';
export type { LoadProgramOptions, Program, ValidateProgramResult } from './load-program.ts';
export { hashFiles } from './hash.ts';
export { isSkippedDir, isSkippedFile } from './skip.ts';
