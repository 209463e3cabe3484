import type { CohortPaths } from '../../protocol/node/paths.ts';
import { bwrapArgv, type RunMounts, type SandboxPlan } from './argv.ts';
import { detectLifetime, detectSandbox, lifetimeFlags } from './detect.ts';
import { join } from 'node:path';
import { homeEnv, sandboxEnv } from './env.ts';
import { processGroupWarning, rootWarning } from './notices.ts';
import { sandboxPlan } from './plan.ts';
import { SandboxUnavailableError } from './unavailable.ts';

/** How the worker sandboxes runs (WorkerOptions.sandbox as an object; `true` means all defaults). */
export interface SandboxConfig {
  /** The bubblewrap to use (default: `COHORT_BWRAP`, else `bwrap` on PATH, else /usr/bin/bwrap). */
  bwrap?: string;
  /** More paths runs may read, read-only (e.g. a dataset in the home folder). */
  expose?: readonly string[];
}

/** What a worker session's runs get, as the `sandbox` event reports it. */
export interface SandboxInfo {
  sandboxed: boolean;
  /** The bubblewrap runs start under: the sandbox's, or unsandboxed the one that ties their lifetime to the worker's. */
  bwrap: string | null;
  version: string | null;
  /** The program home (HOME): setup's downloads, read-only for runs. */
  home: string;
  /** The run cache (COHORT_CACHE_DIR): writable by runs and kept between them. */
  cacheDir: string;
  /** Environment variables not passed into the sandbox (they look like secrets or point at hidden things). */
  withheldEnv: string[];
  /** Paths inside hidden folders shown to the run again, read-only (PATH tools, `--expose`). */
  exposed: string[];
  /** GPU device nodes passed through. */
  devices: string[];
  /**
   * How a run dies with the worker, also when the worker is killed (SIGKILL): `bwrap`, with its
   * own pid namespace (every process of the run, those that called setsid included); or
   * `process-group`, where a watchdog kills the run's process group (processes that left the group
   * survive). Sandboxed runs always use `bwrap`.
   */
  reaper: 'bwrap' | 'process-group';
  /** What the person should be told before any run (e.g. the worker runs as root); one warning each. */
  warnings: string[];
}

/** One process run in the sandbox: where, what stays read-only, whether it is the program's setup, and more environment. */
export interface SandboxRun extends Omit<RunMounts, 'home' | 'cache'> {
  /**
   * Set last, after the sandbox withheld what looks like a secret: the program's `env` (TASK.md,
   * public to every member) and the slot's `CUDA_VISIBLE_DEVICES`.
   */
  env?: Readonly<Record<string, string>>;
}

export interface SandboxSession {
  info: SandboxInfo;
  /** The command prefix and environment of one run (or setup). */
  forRun(run: SandboxRun): { launcher: string[] | undefined; env: NodeJS.ProcessEnv };
}

/**
 * Decides, once per worker session, how runs are confined: with `setting === false` they are not
 * (the caller warns), though bubblewrap, where it works, still ties their lifetime to the worker's;
 * otherwise bubblewrap must work here, or this throws SandboxUnavailableError with what to do,
 * before anything has run.
 */
export async function openSandbox(opts: {
  setting: boolean | SandboxConfig | undefined;
  paths: CohortPaths;
  /** The program home (WorkerDirs.home): HOME of setup and every run. */
  home: string;
  /** The run cache (WorkerDirs.runCache). */
  runCache: string;
  /** The runs' environment (the person's: its HOME is the one the sandbox hides). */
  env: NodeJS.ProcessEnv;
  /** Whether the worker runs as root; default: this process's user id is 0. */
  root?: boolean;
}): Promise<SandboxSession> {
  const cacheDir = opts.runCache;
  // What a run may write and find again: the run cache; setup writes the home (and its cache).
  const homes = (env: NodeJS.ProcessEnv, run: SandboxRun) => homeEnv(env, opts.home, run.setup === true ? join(opts.home, '.cache') : opts.runCache);
  const root = opts.root ?? process.getuid?.() === 0;
  const config: SandboxConfig = typeof opts.setting === 'object' ? opts.setting : {};
  const bwrap = config.bwrap ?? (process.env.COHORT_BWRAP || undefined);
  if (opts.setting === false) {
    const lifetime = await detectLifetime(bwrap !== undefined ? { bwrap } : {});
    const warnings = [...(root ? [rootWarning(false)] : []), ...(lifetime.ok ? [] : [processGroupWarning(lifetime.reason)])];
    return {
      info: { sandboxed: false, bwrap: lifetime.ok ? lifetime.bwrap : null, version: null, home: opts.home, cacheDir, withheldEnv: [], exposed: [], devices: [], reaper: lifetime.ok ? 'bwrap' : 'process-group', warnings },
      forRun: (run) => ({ launcher: lifetime.ok ? [lifetime.bwrap, ...lifetimeFlags(), '--chdir', run.workspace, '--'] : undefined, env: { ...homes(opts.env, run), ...run.env } }),
    };
  }
  const support = await detectSandbox(bwrap !== undefined ? { bwrap } : {});
  if (!support.ok) throw new SandboxUnavailableError(support);
  const plan: SandboxPlan = sandboxPlan({
    bwrap: support.bwrap,
    features: support.features,
    paths: opts.paths,
    // The person's environment: its HOME is what the sandbox hides, and PATH entries in it are shown again.
    env: opts.env,
    ...(config.expose ? { expose: config.expose } : {}),
  });
  const inside = sandboxEnv(opts.env);
  return {
    info: {
      sandboxed: true,
      bwrap: support.bwrap,
      version: support.version,
      home: opts.home,
      cacheDir,
      withheldEnv: inside.withheld,
      exposed: plan.exposed,
      devices: plan.devices,
      reaper: 'bwrap',
      warnings: root ? [rootWarning(true)] : [],
    },
    forRun: (run) => {
      const { env: extra, ...mounts } = run;
      return { launcher: bwrapArgv(plan, { ...mounts, home: opts.home, cache: opts.runCache }), env: { ...homes(inside.env, run), ...extra } };
    },
  };
}
