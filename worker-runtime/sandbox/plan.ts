import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { CohortPaths } from '../../protocol/node/paths.ts';
import type { SandboxPlan } from './argv.ts';
import type { BwrapFeatures } from './detect.ts';
import { gpuDeviceNodes } from './devices.ts';
import { exposedForPath } from './exposure.ts';

export interface PlanInput {
  bwrap: string;
  features: BwrapFeatures;
  paths: CohortPaths;
  /** The run's environment: its HOME is hidden, its PATH must keep working. */
  env: NodeJS.ProcessEnv;
  /** More paths the run may read (`--expose`). */
  expose?: readonly string[];
  /** Default: the GPU nodes found in /dev. */
  devices?: string[];
}

/**
 * What the sandbox hides and shows: private /tmp, /var/tmp, /run; empty home folders (the run's
 * HOME and this user's, and /home for everyone else's); empty read-only Cohort config and data
 * folders; the PATH's tools and `--expose`d paths shown again read-only; the GPUs passed through.
 */
export function sandboxPlan(input: PlanInput): SandboxPlan {
  const homes = [input.env.HOME, homedir()].filter((h): h is string => !!h && isAbsolute(h) && resolve(h) !== '/').map((h) => resolve(h));
  const scratch = ['/tmp', '/var/tmp', '/run', '/home', ...homes];
  const secret = [input.paths.configDir, input.paths.dataDir].map((p) => resolve(p));
  const exposed = exposedForPath({ path: input.env.PATH, hidden: [...scratch, ...secret], protect: secret, homes });
  return {
    bwrap: input.bwrap,
    features: input.features,
    scratch,
    exposed: [...new Set([...exposed, ...(input.expose ?? []).map((p) => resolve(p))])],
    secret,
    devices: input.devices ?? gpuDeviceNodes(),
  };
}
