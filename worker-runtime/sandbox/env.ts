import { join } from 'node:path';

/**
 * The program's cache, exported to every run (sandboxed or not): `COHORT_CACHE_DIR` and
 * `XDG_CACHE_HOME` (so PyTorch hub, Hugging Face and pip caches land there), plus the CUDA, Triton
 * and TorchInductor kernel caches when the person has not set them. It is the one place besides the
 * workspace that a sandboxed run may write to and find again in the next run.
 */
export function cacheEnv(env: NodeJS.ProcessEnv, cacheDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, COHORT_CACHE_DIR: cacheDir, XDG_CACHE_HOME: cacheDir };
  out.CUDA_CACHE_PATH ??= join(cacheDir, 'nv');
  out.TRITON_CACHE_DIR ??= join(cacheDir, 'triton');
  out.TORCHINDUCTOR_CACHE_DIR ??= join(cacheDir, 'torchinductor');
  return out;
}

// Names that usually hold a secret: *_TOKEN, *SECRET*, *PASSWORD*, *_API_KEY, AWS keys, …
const SECRET_NAME = /(^|_)TOKENS?(_|$)|SECRET|PASSW|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|(^|_)AUTH(_|$)|COOKIE|(^|_)SESSION(_|$)/i;

// Pointers to things the sandbox hides or that would only confuse the run there.
const HIDDEN_THINGS = new Set([
  'COHORT_HOME', // the member token and the KBs
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'XDG_RUNTIME_DIR',
  'SSH_AUTH_SOCK',
  'SSH_AGENT_PID',
  'GPG_AGENT_INFO',
  'DBUS_SESSION_BUS_ADDRESS',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XAUTHORITY',
  'KRB5CCNAME',
]);

/**
 * The environment inside the sandbox: the run's environment without variables that look like
 * secrets (a run's output is shared with the program, so whatever it can read it can publish) or
 * that point at hidden things, and with TMPDIR on the sandbox's private /tmp. Returns the names
 * withheld, so the person can see them.
 */
export function sandboxEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; withheld: string[] } {
  const out: NodeJS.ProcessEnv = {};
  const withheld: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name === 'COHORT_CACHE_DIR') out[name] = value;
    else if (HIDDEN_THINGS.has(name) || SECRET_NAME.test(name)) withheld.push(name);
    else out[name] = value;
  }
  out.TMPDIR = '/tmp';
  if (out.TMP !== undefined) out.TMP = '/tmp';
  if (out.TEMP !== undefined) out.TEMP = '/tmp';
  return { env: out, withheld: withheld.sort() };
}
