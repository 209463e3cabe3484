import type { TaskResponse } from '../../protocol/index.ts';
import { codeHash } from '../../protocol/node/code-hash.ts';
import { WorkerError } from '../credentials.ts';
import type { HostSession } from '../session/host-session.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { runProposeCommand } from './command.ts';
import { DIGEST_RECENT, kbDigest } from './kb-digest.ts';
import { mutate, type Random } from './mutate.ts';

export interface ProposeOptions {
  /** `mutate` for the built-in proposer, or a shell command run in the workspace. */
  propose: string;
  random?: Random;
  onOutput?: (chunk: string) => void;
  signal?: AbortSignal;
}

/** Runs the chosen proposer on a synced workspace; returns its hypothesis (null when it gave none). */
export async function propose(opts: ProposeOptions, host: HostSession, workspace: Workspace, task: TaskResponse): Promise<string | null> {
  const spec = task.program.spec;
  if (opts.propose === 'mutate') {
    // Skip changes whose code was already tried by anyone: the host would only call them duplicates.
    // One lookup per candidate (GET /api/codes/:hash), never the whole KB.
    for (let attempt = 0; attempt < 20; attempt++) {
      const { hypothesis } = await mutate(workspace, spec, opts.random);
      if (!(await host.code(codeHash(await workspace.editableFiles(), spec.editable))).tried) return hypothesis;
      await workspace.reset();
    }
    throw new WorkerError('The built-in proposer found only changes that were already tried; widen the `search` ranges in TASK.md.');
  }
  const status = await host.status();
  // Bounded reads: the latest results and the champion's lineage (docs/design.md, "Listings at scale").
  const [recent, lineage] = await Promise.all([
    host.results({ order: 'desc', limit: DIGEST_RECENT }),
    status.champion ? host.lineage(status.champion.id) : Promise.resolve(null),
  ]);
  const { hypothesis } = await runProposeCommand({
    command: opts.propose,
    workspace,
    kbDigest: kbDigest(status, { recent: recent.results, lineage: lineage?.chain ?? [] }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
  });
  return hypothesis;
}
