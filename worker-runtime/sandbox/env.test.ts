import { describe, expect, it } from 'vitest';
import { cacheEnv, sandboxEnv } from './env.ts';

describe('sandbox environment', () => {
  it('withholds variables that look like secrets or point at hidden things, and keeps the rest', () => {
    const { env, withheld } = sandboxEnv({
      PATH: '/usr/bin', HOME: '/home/ada', PYTHONPATH: '/opt/lib', CUDA_VISIBLE_DEVICES: '0', TOKENIZERS_PARALLELISM: 'false',
      OPENAI_API_KEY: 'sk-1', HF_TOKEN: 'hf_1', AWS_SECRET_ACCESS_KEY: 'a', AWS_ACCESS_KEY_ID: 'b', GITHUB_TOKEN: 'c', PGPASSWORD: 'd',
      COHORT_HOME: '/x', XDG_CONFIG_HOME: '/y', SSH_AUTH_SOCK: '/run/ssh', DBUS_SESSION_BUS_ADDRESS: 'unix:', COHORT_CACHE_DIR: '/c',
      TMPDIR: '/var/folders/x', TEMP: '/t',
    });
    expect(withheld).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'COHORT_HOME', 'DBUS_SESSION_BUS_ADDRESS', 'GITHUB_TOKEN', 'HF_TOKEN', 'OPENAI_API_KEY', 'PGPASSWORD', 'SSH_AUTH_SOCK', 'XDG_CONFIG_HOME']);
    expect(env).toEqual({
      PATH: '/usr/bin', HOME: '/home/ada', PYTHONPATH: '/opt/lib', CUDA_VISIBLE_DEVICES: '0', TOKENIZERS_PARALLELISM: 'false',
      COHORT_CACHE_DIR: '/c', TMPDIR: '/tmp', TEMP: '/tmp',
    });
  });

  it('exports the program cache, keeping kernel caches the person set', () => {
    expect(cacheEnv({ CUDA_CACHE_PATH: '/mine' }, '/data/cache/p')).toEqual({
      COHORT_CACHE_DIR: '/data/cache/p',
      XDG_CACHE_HOME: '/data/cache/p',
      CUDA_CACHE_PATH: '/mine',
      TRITON_CACHE_DIR: '/data/cache/p/triton',
      TORCHINDUCTOR_CACHE_DIR: '/data/cache/p/torchinductor',
    });
  });
});
