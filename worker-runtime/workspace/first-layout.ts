import type { CohortPaths } from '../../protocol/node/paths.ts';
import type { Membership } from '../credentials.ts';
import { workerDirs } from '../dirs.ts';
import { MemberClient } from '../member-client.ts';
import { Workspace } from './workspace.ts';

/**
 * The workspace right after joining (issue 13, item 7): the program's files with the champion's
 * code, laid out once, so the member has something to edit before the first run instead of a first
 * run spent on the unchanged champion. One call to the host; a host that does not answer now only
 * delays it to the first run.
 */
export async function layOutWorkspace(paths: CohortPaths, membership: Membership): Promise<{ dir: string; editable: string[]; run: string; setup: string | null }> {
  const task = await new MemberClient(membership.url, membership.token, { timeoutMs: 15_000 }).task();
  const workspace = new Workspace(workerDirs(paths, membership), task.program.spec.editable);
  await workspace.sync(task);
  return { dir: workspace.dir, editable: task.program.spec.editable, run: task.program.spec.run, setup: task.program.spec.setup ?? null };
}
