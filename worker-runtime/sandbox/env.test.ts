import { describe, expect, it } from 'vitest';
import { homeEnv, sandboxEnv, secretValue } from './env.ts';

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

  it('withholds variables whose value carries a credential, whatever their name', () => {
    const { env, withheld } = sandboxEnv({
      DATABASE_URL: 'postgres://ada:s3cret@db.internal:5432/app',
      HTTPS_PROXY: 'http://user:pw@proxy:3128',
      REDIS: 'redis://:only-a-password@cache:6379',
      DEPLOY_KEY_PEM: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----',
      GH: `ghp_${'a'.repeat(36)}`,
      GH_FINE: `github_pat_11ABC_${'b'.repeat(60)}`,
      HUB: `hf_${'c'.repeat(34)}`,
      OAI: `sk-proj-${'d'.repeat(40)}`,
      AWS_ID: 'AKIAIOSFODNN7EXAMPLE',
      SLACK: 'xoxb-1234567890-abcdefghij',
      BEARER: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
      MEMBER: 'cohort_mt_AbCdEf0123456789xyz',
      // Look alike, but carry nothing secret:
      REPO_URL: 'https://github.com/karpathy/autoresearch',
      SSH_REMOTE: 'git@github.com:org/repo.git',
      SERVICE: 'http://localhost:8080/path@v2',
      MASK: 'task-runner-with-a-long-name',
    });
    expect(withheld).toEqual(['AWS_ID', 'BEARER', 'DATABASE_URL', 'DEPLOY_KEY_PEM', 'GH', 'GH_FINE', 'HTTPS_PROXY', 'HUB', 'MEMBER', 'OAI', 'REDIS', 'SLACK']);
    expect(Object.keys(env).sort()).toEqual(['MASK', 'REPO_URL', 'SERVICE', 'SSH_REMOTE', 'TMPDIR']);
  });

  it('recognises each credential format on its own, and not a short or ordinary lookalike', () => {
    for (const secret of ['mysql://root:hunter2@127.0.0.1/db', 'amqps://guest:guest@mq', `gho_${'x'.repeat(36)}`, 'ASIAXXXXXXXXXXXXXXXX', 'xoxp-12-34-abcdefgh', '-----BEGIN RSA PRIVATE KEY-----']) {
      expect(secretValue(secret), secret).toBe(true);
    }
    for (const plain of ['hf_short', 'sk-1', 'AKIA-not-a-key', 'https://user@example.com/', '/usr/local/cuda/bin', '1', 'eyJ.eyJ.']) expect(secretValue(plain), plain).toBe(false);
  });

  it('makes the program home HOME and exports the writable cache, keeping kernel caches the person set', () => {
    expect(homeEnv({ CUDA_CACHE_PATH: '/mine', HOME: '/nonexistent-home' }, '/data/homes/p', '/data/cache/p')).toEqual({
      HOME: '/data/homes/p',
      XDG_CACHE_HOME: '/data/homes/p/.cache',
      COHORT_CACHE_DIR: '/data/cache/p',
      CUDA_CACHE_PATH: '/mine',
      TRITON_CACHE_DIR: '/data/cache/p/triton',
      TORCHINDUCTOR_CACHE_DIR: '/data/cache/p/torchinductor',
    });
  });
});
