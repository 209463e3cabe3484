import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where setup and runs keep things (docs/worker.md, "Setup and the program home"): the program home
 * as `HOME`, its `.cache` as `XDG_CACHE_HOME` (so uv, pip, Hugging Face and PyTorch hub caches land
 * there), and `cache`, the folder this process may write and find again, as `COHORT_CACHE_DIR` and
 * the default of the CUDA, Triton and TorchInductor kernel caches: the run cache for runs, the
 * home's cache for setup. `env` is the person's (its HOME is their own).
 */
export function homeEnv(env: NodeJS.ProcessEnv, home: string, cache: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), COHORT_CACHE_DIR: cache };
  // pyenv's shims find their root under HOME unless told: keep the person's (the sandbox shows it read-only).
  const pyenv = env.HOME ? join(env.HOME, '.pyenv') : null;
  if (out.PYENV_ROOT === undefined && pyenv !== null && existsSync(pyenv)) out.PYENV_ROOT = pyenv;
  out.CUDA_CACHE_PATH ??= join(cache, 'nv');
  out.TRITON_CACHE_DIR ??= join(cache, 'triton');
  out.TORCHINDUCTOR_CACHE_DIR ??= join(cache, 'torchinductor');
  return out;
}

// Names that usually hold a secret: *_TOKEN, *SECRET*, *PASSWORD*, *_API_KEY, AWS keys, …
const SECRET_NAME = /(^|_)TOKENS?(_|$)|SECRET|PASSW|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|(^|_)AUTH(_|$)|COOKIE|(^|_)SESSION(_|$)/i;

// Values that carry a credential whatever the variable is called; each pattern is one well-known form.
const SECRET_VALUE: readonly RegExp[] = [
  /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i, // a URL with a user and password: postgres://ada:pw@db/x (DATABASE_URL, proxies)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // a PEM private key
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}/, // GitHub tokens
  /\bhf_[A-Za-z0-9]{30,}/, // Hugging Face tokens
  /\bsk-[A-Za-z0-9_-]{20,}/, // OpenAI- and Anthropic-style API keys (sk-…, sk-proj-…, sk-ant-…)
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key ids (long-term and temporary)
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./, // a JWT: base64url of '{"' twice, dot-separated
  /\bcohort_mt_[A-Za-z0-9_-]{8,}/, // a Cohort member token
];

/** Whether a variable's value looks like a credential (see SECRET_VALUE). */
export function secretValue(value: string): boolean {
  return SECRET_VALUE.some((pattern) => pattern.test(value));
}

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
 * The environment inside the sandbox: the run's environment without variables whose name or value
 * looks like a secret (a run's output is shared with the program, so whatever it can read it can publish) or
 * that point at hidden things, and with TMPDIR on the sandbox's private /tmp. Returns the names
 * withheld, so the person can see them.
 */
export function sandboxEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; withheld: string[] } {
  const out: NodeJS.ProcessEnv = {};
  const withheld: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (HIDDEN_THINGS.has(name) || SECRET_NAME.test(name) || secretValue(value)) withheld.push(name);
    else out[name] = value;
  }
  out.TMPDIR = '/tmp';
  if (out.TMP !== undefined) out.TMP = '/tmp';
  if (out.TEMP !== undefined) out.TEMP = '/tmp';
  return { env: out, withheld: withheld.sort() };
}
