import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
      '.env': 'SECRET=1\n',
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
