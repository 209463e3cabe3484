import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProgramError } from './errors.ts';
import { hashFiles } from './hash.ts';
import { loadProgram, validateProgramDir } from './load-program.ts';
import type { LoadProgramOptions } from './load-program.ts';

const TASK = ['---', 'name: tiny-gpt', 'objective: lower val_bpb', 'metric: val_bpb', 'direction: minimize', '---', '# Tiny GPT', ''].join('\n');

let dir: string;
let outside: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cohort-program-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'cohort-outside-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

/** Writes files (posix paths) under the program folder, creating parent folders. */
async function put(files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

async function failLoad(opts?: LoadProgramOptions, at = dir): Promise<ProgramError> {
  const err: unknown = await loadProgram(at, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProgramError);
  return err as ProgramError;
}

describe('loadProgram', () => {
  it('loads a valid program: spec with defaults, body, sorted text files, hashes', async () => {
    await put({ 'TASK.md': TASK, 'train.py': 'print(1)\n', 'prepare.py': 'pass\n', 'lib/util.py': 'x = 1\n', 'lib-a.py': 'y = 2\n' });
    const program = await loadProgram(dir);
    expect(program.dir).toBe(await realpath(dir));
    expect(program.spec).toMatchObject({ name: 'tiny-gpt', accept: 'beats-champion', editable: ['train.py'], run: 'python3 train.py', time_budget: 300 });
    expect(program.body).toBe('# Tiny GPT\n');
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'lib-a.py', 'lib/util.py', 'prepare.py', 'train.py']);
    expect(program.files.find((f) => f.path === 'lib/util.py')?.content).toBe('x = 1\n');
    expect(program.hash).toBe(hashFiles(program.files));
    expect(program.editableHash).toBe(hashFiles([{ path: 'train.py', content: 'print(1)\n' }]));
  });

  it('skips caches, environments, dot-folders, data and binary files', async () => {
    await put({
      'TASK.md': TASK,
      'train.py': 'print(1)\n',
      '.git/config': '[core]\n',
      '.venv/lib/x.py': 'x\n',
      '.DS_Store': 'x',
      '.env.example': 'API_KEY=\n',
      '__pycache__/train.cpython-312.pyc': 'x',
      'node_modules/a/index.js': 'x\n',
      'data/train.txt': 'lots of text\n',
      'weights.pt': 'x',
      'tokens.npy': 'x',
      'corpus.tar.gz': 'x',
      'table.csv': 'a,b\n',
      'blob.dat': Buffer.from([1, 2, 0, 3]),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      'notes/readme.md': 'hi\n',
    });
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'notes/readme.md', 'train.py']);
    expect(program.manifest.left_out).toEqual([
      { path: '.DS_Store', why: 'dot-file (tool or editor state)' },
      { path: '.env.example', why: 'dot-file (tool or editor state)' },
      { path: '.git/', why: 'version control: never shipped' },
      { path: '.venv/', why: 'dot-folder (tool, editor or environment state)' },
      { path: '__pycache__/', why: 'cache, environment or data folder' },
      { path: 'blob.dat', why: 'binary (not UTF-8 text)' },
      { path: 'corpus.tar.gz', why: 'data, weights or compiled code, by its extension' },
      { path: 'data/', why: 'cache, environment or data folder' },
      { path: 'latin1.txt', why: 'binary (not UTF-8 text)' },
      { path: 'node_modules/', why: 'cache, environment or data folder' },
      { path: 'table.csv', why: 'data, weights or compiled code, by its extension' },
      { path: 'tokens.npy', why: 'data, weights or compiled code, by its extension' },
      { path: 'weights.pt', why: 'data, weights or compiled code, by its extension' },
    ]);
    expect(program.manifest.left_out_count).toBe(13);
  });

  it('says what to create when the folder or TASK.md is missing', async () => {
    const missing = path.join(dir, 'nope');
    const err = await failLoad({}, missing);
    expect(err.message).toBe(`${missing}: program folder does not exist: create it with a TASK.md (YAML frontmatter + instructions) and the files it names`);
    const noTask = await failLoad();
    expect(noTask.file).toBe('TASK.md');
    expect(noTask.message).toMatch(/^TASK\.md: not found in .*: create TASK\.md there, starting with a "---" YAML block/);
  });

  it('passes frontmatter errors through with their lines', async () => {
    await put({ 'TASK.md': TASK.replace('direction: minimize', 'direction: lower'), 'train.py': '' });
    expect((await failLoad()).message).toBe('TASK.md:5: direction must be "minimize" or "maximize", got "lower"');
  });

  it('refuses a missing editable file, naming it and its TASK.md line', async () => {
    await put({ 'TASK.md': TASK.replace('---\n#', 'editable:\n  - train.py\n  - model.py\n---\n#'), 'train.py': '' });
    const err = await failLoad();
    expect(err.message).toBe(`TASK.md:8: editable file "model.py" does not exist in ${await realpath(dir)}: create it or fix the editable list`);
    expect(err).toMatchObject({ field: 'editable.1', line: 8 });
  });

  it('refuses editable files that are binary, folders or symlinks, all at once; the default list has no line', async () => {
    await put({ 'TASK.md': TASK.replace('---\n#', 'editable: [train.py, lib, model.bin, link.py]\n---\n#'), 'train.py': '', 'lib/a.py': '', 'model.bin': Buffer.from([0, 1]) });
    await symlink('train.py', path.join(dir, 'link.py'));
    const err = await failLoad();
    expect(err.issues.map((i) => i.message)).toEqual([
      'editable file "lib" is a folder: list the files inside it instead',
      'editable file "model.bin" is not a UTF-8 text file (binary files cannot be edited by patches)',
      'editable file "link.py" must be a regular file, not a symlink',
    ]);
    expect(err.issues.map((i) => i.line)).toEqual([6, 6, 6]);

    await put({ 'TASK.md': TASK });
    await rm(path.join(dir, 'train.py'));
    expect((await failLoad()).message).toMatch(/^TASK\.md: editable file "train\.py" does not exist/);
  });

  it('keeps an editable file even where files are skipped by name', async () => {
    await put({ 'TASK.md': TASK.replace('---\n#', 'editable: [data/config.csv]\n---\n#'), 'data/config.csv': 'lr,0.1\n', 'data/other.csv': 'x\n' });
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'data/config.csv']);
  });

  it('refuses a symlink that leads out of the folder, naming the link', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '' });
    await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
    await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'helper.py'));
    const err = await failLoad();
    expect(err.file).toBe('helper.py');
    expect(err.message).toBe(`helper.py: is a symlink to ${await realpath(path.join(outside, 'secret.txt'))}, outside the program folder: copy the file into the folder instead (members only receive the folder)`);
  });

  it('refuses dangling and folder links out of the folder too', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '' });
    await symlink(outside, path.join(dir, 'lib'));
    expect((await failLoad()).message).toMatch(/^lib: is a symlink to .*, outside the program folder/);
    await rm(path.join(dir, 'lib'));
    await symlink('../../nowhere.py', path.join(dir, 'gone.py'));
    expect((await failLoad()).file).toBe('gone.py');
  });

  it('follows file links inside the folder but not folder links', async () => {
    await put({ 'TASK.md': TASK, 'train.py': 'print(1)\n', 'src/a.py': 'a\n' });
    await symlink('train.py', path.join(dir, 'alias.py'));
    await symlink('src', path.join(dir, 'src2'));
    await symlink(outside, path.join(dir, 'data')); // skipped by name before it is resolved
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'alias.py', 'src/a.py', 'train.py']);
    expect(program.files[1]?.content).toBe('print(1)\n');
  });

  it('refuses a file over maxFileBytes, naming its size and the limit', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '', 'big.py': 'x'.repeat(2 * 1024 * 1024) });
    expect((await failLoad()).message).toBe(
      'big.py: is 2 MiB (2097152 bytes), over the 1 MiB limit for one file (maxFileBytes): move data out of the program folder, or into a skipped folder such as data/',
    );
    expect((await failLoad({ maxFileBytes: 50 })).message).toMatch(/^TASK\.md: is \d+ bytes \(\d+ bytes\), over the 50 bytes limit for one file/);
  });

  it('skips a big binary file instead of refusing it', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    big[10] = 0;
    await put({ 'TASK.md': TASK, 'train.py': '', 'blob': big });
    expect((await loadProgram(dir)).files.map((f) => f.path)).toEqual(['TASK.md', 'train.py']);
  });

  it('refuses more than maxFiles files and more than maxTotalBytes', async () => {
    await put({ 'TASK.md': TASK, 'train.py': 'x'.repeat(100), 'a.py': 'x'.repeat(100), 'b.py': 'x'.repeat(100) });
    expect((await failLoad({ maxFiles: 3 })).message).toBe(
      'train.py: the program folder has more than 3 text files (maxFiles): move generated or vendored files out of it, or into a skipped folder such as data/',
    );
    expect((await failLoad({ maxTotalBytes: 350 })).message).toMatch(/^train\.py: the program's text files total more than 350 bytes \(maxTotalBytes\)/);
    expect((await loadProgram(dir, { maxFiles: 4, maxTotalBytes: undefined })).files).toHaveLength(4);
  });

  it('refuses file names the wire format cannot carry', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '', 'a\\b.py': 'x\n' });
    expect((await failLoad()).message).toBe('a\\b.py: is not a plain relative path (no backslashes, no "..", at most 255 characters): rename it');
  });
});

describe('what a program ships', () => {
  const withTask = (frontmatter: string) => TASK.replace('---\n#', `${frontmatter}\n---\n#`);
  const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

  it('lists the shipped files with their sizes, the count and the total', async () => {
    await put({ 'TASK.md': TASK, 'train.py': 'print("é")\n', 'lib/util.py': 'x = 1\n' });
    const { manifest } = await loadProgram(dir);
    const taskBytes = Buffer.byteLength(TASK);
    expect(manifest).toEqual({
      files: [
        { path: 'TASK.md', bytes: taskBytes },
        { path: 'lib/util.py', bytes: 6 },
        { path: 'train.py', bytes: 12 },
      ],
      count: 3,
      bytes: taskBytes + 18,
      left_out: [],
      left_out_count: 0,
    });
  });

  it('bounds the left-out list and counts the rest', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '', ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${String(i).padStart(2, '0')}.csv`, 'a\n'])) });
    const { manifest } = await loadProgram(dir);
    expect(manifest.left_out).toHaveLength(50);
    expect(manifest.left_out_count).toBe(60);
  });

  it('refuses every secret-looking file at once, saying why and how to fix it', async () => {
    await put({
      'TASK.md': TASK,
      'train.py': '',
      '.env': 'OPENAI_API_KEY=sk-1\n',
      id_rsa: 'not really\n',
      'kaggle.json': '{"username":"a","key":"b"}\n',
      '.aws/credentials': '[default]\naws_secret_access_key = x\n',
      'lib/deploy.txt': `notes\n${PEM}`,
      '.npmrc': '//registry.npmjs.org/:_authToken=npm_abc\n',
      'keys/service-account-prod.json': '{}\n',
      'cert.pem': 'x\n',
      'vault.kdbx': Buffer.from([0, 1, 2]),
      '.netrc': 'machine x login a password b\n',
    });
    const err = await failLoad();
    expect(err.issues.map((i) => [i.file, /looks like a secret \((.*)\) and must not reach members/.exec(i.message)?.[1]])).toEqual([
      ['.aws/', 'AWS credentials'],
      ['.env', 'an environment file, where API keys usually live'],
      ['.netrc', 'login passwords for hosts (netrc)'],
      ['.npmrc', 'an npm registry token'],
      ['cert.pem', 'a PEM private key or certificate'],
      ['id_rsa', 'an SSH private key'],
      ['kaggle.json', 'a Kaggle API token'],
      ['keys/service-account-prod.json', 'a Google Cloud service-account key'],
      ['lib/deploy.txt', 'a private key (it holds a "-----BEGIN … PRIVATE KEY-----" block)'],
      ['vault.kdbx', 'a KeePass password database'],
    ]);
    expect(err.issues[1]?.message).toBe(
      'looks like a secret (an environment file, where API keys usually live) and must not reach members: move it out of the program folder, or add "/.env" to .cohortignore; if members really need it, list it under "ship:" in TASK.md',
    );
    expect(err.issues[0]?.message).toMatch(/add "\/\.aws\/" to \.cohortignore; if members really need it, list the files inside it that must ship under "ship:" in TASK\.md$/);
  });

  it('keeps harmless dot-things and token-less registry configs quiet', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '', '.npmrc': 'save-exact=true\n', '.vscode/settings.json': '{}\n', '.ipynb_checkpoints/a.py': '', 'id_rsa.pub': 'ssh-ed25519 AAAA\n' });
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'id_rsa.pub', 'train.py']);
  });

  it('ships secret-looking files that TASK.md names, under ship: or editable', async () => {
    await put({
      'TASK.md': withTask('editable: [train.py, keys.env]\nship: [cacert.pem, .aws/config, .flake8, data/vocab.csv]'),
      'train.py': '',
      'keys.env': 'LR=0.1\n',
      'cacert.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      '.aws/config': '[default]\nregion = eu-west-1\n',
      '.aws/credentials': '[default]\naws_secret_access_key = x\n',
      '.flake8': '[flake8]\n',
      'data/vocab.csv': 'a\n',
    });
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['.aws/config', '.flake8', 'TASK.md', 'cacert.pem', 'data/vocab.csv', 'keys.env', 'train.py']);
    expect(program.spec.ship).toEqual(['cacert.pem', '.aws/config', '.flake8', 'data/vocab.csv']);
    expect(program.manifest.left_out).toContainEqual({ path: '.aws/', why: 'holds credentials; only the files TASK.md names ship' });
  });

  it('refuses a shipped file that is missing or binary, naming its TASK.md line', async () => {
    await put({ 'TASK.md': withTask('ship: [nope.pem, model.bin]'), 'train.py': '', 'model.bin': Buffer.from([0, 1]) });
    const err = await failLoad();
    expect(err.issues.map((i) => [i.field, i.line, i.message])).toEqual([
      ['ship.0', 6, `shipped file "nope.pem" does not exist in ${await realpath(dir)}: create it or fix the ship list`],
      ['ship.1', 6, 'shipped file "model.bin" is not a UTF-8 text file (members receive text files only)'],
    ]);
  });

  it('applies .cohortignore: patterns, negation, folder patterns, anchored paths', async () => {
    await put({
      'TASK.md': TASK,
      '.cohortignore': ['# scratch work', '*.ipynb', 'scratch/', '/notes.md', 'logs/**', '!logs/keep.txt', 'docs/*.txt', '!docs/readme.txt', '.env', ''].join('\n'),
      'train.py': '',
      'explore.ipynb': '{}\n',
      'lib/explore.ipynb': '{}\n',
      'scratch/a.py': '',
      'lib/scratch/b.py': '',
      'notes.md': '',
      'lib/notes.md': '',
      'logs/keep.txt': '',
      'docs/a.txt': '',
      'docs/readme.txt': '',
      '.env': 'X=1\n', // ignored, so not refused
    });
    const program = await loadProgram(dir);
    expect(program.files.map((f) => f.path)).toEqual(['TASK.md', 'docs/readme.txt', 'lib/notes.md', 'logs/keep.txt', 'train.py']);
    expect(program.manifest.left_out).toEqual([
      { path: '.cohortignore', why: 'the ignore rules themselves' },
      { path: '.env', why: 'ignored by .cohortignore line 9 (".env")' },
      { path: 'docs/a.txt', why: 'ignored by .cohortignore line 7 ("docs/*.txt")' },
      { path: 'explore.ipynb', why: 'ignored by .cohortignore line 2 ("*.ipynb")' },
      { path: 'lib/explore.ipynb', why: 'ignored by .cohortignore line 2 ("*.ipynb")' },
      { path: 'lib/scratch/', why: 'ignored by .cohortignore line 3 ("scratch/")' },
      { path: 'notes.md', why: 'ignored by .cohortignore line 4 ("/notes.md")' },
      { path: 'scratch/', why: 'ignored by .cohortignore line 3 ("scratch/")' },
    ]);
  });

  it('does not descend into an ignored folder, so nothing in it is refused', async () => {
    await put({ 'TASK.md': TASK, '.cohortignore': 'private/\n', 'train.py': '', 'private/id_ed25519': 'x\n', 'private/deep/kaggle.json': '{}\n' });
    expect((await loadProgram(dir)).manifest.left_out).toEqual([
      { path: '.cohortignore', why: 'the ignore rules themselves' },
      { path: 'private/', why: 'ignored by .cohortignore line 1 ("private/")' },
    ]);
  });

  it('refuses a named file that .cohortignore leaves out, naming the rule', async () => {
    await put({ 'TASK.md': withTask('editable: [train.py, src/model.py]\nship: [vocab.txt]'), '.cohortignore': '*.txt\n\nsrc/\n', 'train.py': '', 'src/model.py': '', 'vocab.txt': '' });
    const err = await failLoad();
    expect(err.issues.map((i) => [i.field, i.message])).toEqual([
      ['editable.1', 'editable file "src/model.py" is left out by .cohortignore line 3 ("src/"), but TASK.md names it, so it must ship: remove or narrow that rule'],
      ['ship.0', 'shipped file "vocab.txt" is left out by .cohortignore line 1 ("*.txt"), but TASK.md names it, so it must ship: remove or narrow that rule'],
    ]);
  });

  it('reports named-file problems and secrets together', async () => {
    await put({ 'TASK.md': withTask('editable: [model.py]'), 'kaggle.json': '{}\n' });
    const err = await failLoad();
    expect(err.issues.map((i) => i.file)).toEqual(['TASK.md', 'kaggle.json']);
  });

  it('still loads the examples', async () => {
    for (const name of ['quadratic', 'tiny-gpt']) {
      const program = await loadProgram(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)));
      expect(program.manifest.count).toBe(program.files.length);
      expect(program.manifest.files.map((f) => f.path)).toContain('TASK.md');
    }
  });
});

describe('validateProgramDir', () => {
  it('returns the program, or every issue as data', async () => {
    await put({ 'TASK.md': TASK, 'train.py': '' });
    const ok = await validateProgramDir(dir);
    expect(ok.ok && ok.program.spec.name).toBe('tiny-gpt');

    await put({ 'TASK.md': TASK.replace('metric: val_bpb\n', 'colour: red\n').replace('direction: minimize', 'direction: up') });
    const bad = await validateProgramDir(dir);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.map((e) => [e.field, e.line])).toEqual([
        ['metric', undefined],
        ['colour', 4],
        ['direction', 5],
      ]);
    }
  });
});
