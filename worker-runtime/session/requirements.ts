import { describeRequirements, matchRequirements } from '../../protocol/requirements.ts';
import type { TaskSpec } from '../../protocol/task.ts';
import { WorkerError } from '../credentials.ts';
import { gpuFacts, type Hardware } from '../hardware.ts';

/**
 * This machine cannot run the program: its results would not be comparable (docs/design.md,
 * "Hardware"). A WorkerError, so `cohort` prints the message alone and exits 1 (cli/exit-codes.ts).
 */
export class RequirementsNotMetError extends WorkerError {
  override name = 'RequirementsNotMetError';
  readonly problems: string[];
  constructor(message: string, problems: string[]) {
    super(message);
    this.problems = problems;
  }
}

/** Why this machine does not meet the program's `requires`, in one sentence; null when it does. */
export function requirementsProblem(spec: Pick<TaskSpec, 'requires'>, hardware: Hardware): { message: string; problems: string[] } | null {
  if (spec.requires === undefined) return null;
  const match = matchRequirements(spec.requires, gpuFacts(hardware));
  if (match.ok) return null;
  return {
    message: `this machine does not meet the program's requires: ${match.problems.join('; ')}. The program needs ${describeRequirements(spec.requires)}.`,
    problems: match.problems,
  };
}

/** Refuses, before anything runs, on a machine that does not meet the program's `requires`. */
export function assertRequirements(spec: Pick<TaskSpec, 'requires'>, hardware: Hardware): void {
  const problem = requirementsProblem(spec, hardware);
  if (problem !== null) throw new RequirementsNotMetError(problem.message, problem.problems);
}
