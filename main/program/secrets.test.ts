import { describe, expect, it } from 'vitest';
import { mayHoldToken, secretContentReason, secretDirReason, secretFileReason } from './secrets.ts';

describe('secret-looking names and contents', () => {
  it('flags key, credential and environment files by name', () => {
    for (const name of ['id_rsa', 'id_ed25519', 'id_ecdsa_sk', 'server.key', 'cert.PEM', 'me.p12', 'me.pfx', 'vault.kdbx', '.env', '.env.local', 'prod.env', '.netrc', '_netrc', '.git-credentials', '.pgpass', 'credentials', 'credentials.json', 'application_default_credentials.json', 'service-account-prod.json', 'service_account.json', 'client_secret_123.apps.json', 'kaggle.json', 'token']) {
      expect(secretFileReason(name), name).toBeDefined();
    }
  });

  it('leaves public keys, env templates and ordinary files alone', () => {
    for (const name of ['id_rsa.pub', '.env.example', '.env.sample', '.env.template', '.env.dist', 'environment.yml', 'train.py', 'tokens.py', 'tokenizer.json', 'keys.py', '.envrc.md', 'credentials.md']) {
      expect(secretFileReason(name), name).toBeUndefined();
    }
  });

  it('flags credential folders; .git is not one', () => {
    expect(['.ssh', '.gnupg', '.aws', '.azure', '.kaggle', '.huggingface'].map(secretDirReason).every((r) => r !== undefined)).toBe(true);
    expect(secretDirReason('.git')).toBeUndefined();
    expect(secretDirReason('.venv')).toBeUndefined();
  });

  it('finds private-key blocks anywhere in a text file, and tokens in registry configs only', () => {
    expect(secretContentReason('notes.txt', 'x\n-----BEGIN RSA PRIVATE KEY-----\nMII\n')).toMatch(/private key/);
    expect(secretContentReason('k.txt', '-----BEGIN PRIVATE KEY-----\n')).toBeDefined();
    expect(secretContentReason('k.txt', '-----BEGIN ENCRYPTED PRIVATE KEY-----\n')).toBeDefined();
    expect(secretContentReason('k.asc', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n')).toBeDefined();
    expect(secretContentReason('cert.txt', '-----BEGIN CERTIFICATE-----\n')).toBeUndefined();
    expect(secretContentReason('gen.py', 'marker = "-----BEGIN RSA PRIVATE KEY-----"\n')).toBeUndefined();
    expect(mayHoldToken('.npmrc') && mayHoldToken('.pypirc')).toBe(true);
    expect(secretContentReason('.npmrc', '//registry.npmjs.org/:_authToken=npm_x\n')).toBe('an npm registry token');
    expect(secretContentReason('.npmrc', 'save-exact=true\n')).toBeUndefined();
    expect(secretContentReason('.pypirc', '[pypi]\n  password = pypi-abc\n')).toBe('a PyPI password or token');
    expect(secretContentReason('settings.ini', 'password = x\n')).toBeUndefined();
  });
});
