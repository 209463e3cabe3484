import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandProgram, explainCrash, failingLine, missingModule, resolveProgram } from './crash-explain.ts';

const MODULE_NOT_FOUND = [
  'step 0 | loss 4.2',
  'Traceback (most recent call last):',
  '  File "/home/ada/.local/share/cohort/workspaces/m1/train.py", line 12, in <module>',
  '    import numpy as np',
  "ModuleNotFoundError: No module named 'numpy'",
  '',
].join('\n');

const CHAINED = [
  'Traceback (most recent call last):',
  '  File "/w/prepare.py", line 40, in load',
  '    return torch.load(path)',
  "FileNotFoundError: [Errno 2] No such file or directory: '/home/x/.cache/autoresearch/tok.pkl'",
  '',
  'During handling of the above exception, another exception occurred:',
  '',
  'Traceback (most recent call last):',
  '  File "/w/train.py", line 7, in <module>',
  '    tok = load()',
  '          ^^^^^^',
  'RuntimeError: run prepare.py first',
  'wandb: Waiting for W&B process to finish... (failed 1).',
  '',
].join('\n');

const OOM = [
  'Traceback (most recent call last):',
  '  File "/w/train.py", line 88, in <module>',
  '    loss.backward()',
  'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB',
].join('\r\n');

/** No control character (but none at all: the line is for one terminal line), no escape. */
function oneSafeLine(text: string): void {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
}

describe('failingLine', () => {
  it('is the exception line of a traceback, the last of chained ones, whatever follows it', () => {
    expect(failingLine(MODULE_NOT_FOUND, "exit code 1: ModuleNotFoundError: No module named 'numpy'")).toBe("ModuleNotFoundError: No module named 'numpy'");
    expect(failingLine(CHAINED, 'exit code 1: wandb: Waiting for W&B process to finish... (failed 1).')).toBe('RuntimeError: run prepare.py first');
    expect(failingLine(OOM, 'exit code 1: x')).toMatch(/^torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB/);
  });

  it('finds what a shell says of a command it cannot run', () => {
    expect(failingLine('/bin/sh: 1: python3: not found\n', 'exit code 127: /bin/sh: 1: python3: not found')).toBe('/bin/sh: 1: python3: not found');
  });

  it('falls back on the reason: its stderr line for an exit without an exception line, the whole reason for a kill or a time-out', () => {
    expect(failingLine('loss 1.0\n', 'exit code 2: usage: train.py [-h]')).toBe('usage: train.py [-h]');
    expect(failingLine(`${MODULE_NOT_FOUND}`, 'killed after the 1 s time budget + 0.5 s grace')).toBe('killed after the 1 s time budget + 0.5 s grace');
    expect(failingLine('', 'killed by SIGSEGV')).toBe('killed by SIGSEGV');
  });

  it('reads through the colours of a rich traceback and Windows line ends', () => {
    const rich = "\x1b[31m╭─ Traceback ─╮\x1b[0m\r\n\x1b[1;31mModuleNotFoundError\x1b[0m: No module named \x1b[32m'einops'\x1b[0m\r\n";
    expect(failingLine(rich, 'exit code 1: x')).toBe("ModuleNotFoundError: No module named 'einops'");
  });

  it('makes hostile output safe for a terminal: controls shown, escapes removed, one line, cut short', () => {
    const planted = "ValueError: \x1b]0;pwned\x07evil\x1b[2J \u202Egnp.exe\x07 \x08\x08done";
    const line = failingLine(`Traceback (most recent call last):\n${planted}\n`, 'exit code 1: x');
    oneSafeLine(line);
    expect(line).toMatch(/^ValueError: evil/);
    expect(line).toContain('<U+202E>');
    expect(line).not.toContain('pwned');
    const long = failingLine(`RuntimeError: ${'x'.repeat(4000)}\n`, 'exit code 1: x');
    expect(long.length).toBeLessThanOrEqual(300);
    expect(long.endsWith('…')).toBe(true);
    // A line far too long to be an exception line is passed over.
    expect(failingLine(`ValueError: ${'y'.repeat(10_000)}\nRuntimeError: short\n${'z'.repeat(10_000)}Error: z\n`, 'exit code 1: x')).toBe('RuntimeError: short');
  });
});

describe('missingModule', () => {
  it('names the module and the package to install, by its PyPI name where that differs', () => {
    expect(missingModule("ModuleNotFoundError: No module named 'numpy'")).toEqual({ module: 'numpy', package: 'numpy' });
    expect(missingModule("ModuleNotFoundError: No module named 'kernels.flash_attn'")).toEqual({ module: 'kernels.flash_attn', package: 'kernels' });
    expect(missingModule("ModuleNotFoundError: No module named 'cv2'")).toEqual({ module: 'cv2', package: 'opencv-python' });
    expect(missingModule("ModuleNotFoundError: No module named 'sklearn'")).toEqual({ module: 'sklearn', package: 'scikit-learn' });
    expect(missingModule('ImportError: No module named yaml')).toEqual({ module: 'yaml', package: 'pyyaml' });
    expect(missingModule("ImportError: cannot import name 'Gemma3Config' from 'transformers.models' (/usr/lib/python3/dist-packages/transformers/models/__init__.py)")).toEqual({ module: 'transformers.models', package: 'transformers' });
  });

  it('is null for any other failure, and for a name that is not a module name', () => {
    expect(missingModule('ImportError: libcudart.so.12: cannot open shared object file: No such file or directory')).toBeNull();
    expect(missingModule('RuntimeError: CUDA error: no kernel image is available')).toBeNull();
    expect(missingModule("ModuleNotFoundError: No module named 'x;rm -rf ~'")).toBeNull();
    expect(missingModule(`ModuleNotFoundError: No module named '${'a'.repeat(500)}'`)).toBeNull();
    expect(missingModule("ModuleNotFoundError: No module named 'a\u202Eb'")).toBeNull();
  });
});

describe('commandProgram', () => {
  it('is the interpreter a run command starts, past variables, wrappers and a cd', () => {
    expect(commandProgram('python3 train.py')).toBe('python3');
    expect(commandProgram('/usr/bin/env python3 train.py')).toBe('python3');
    expect(commandProgram('env -u CUDA_VISIBLE_DEVICES PYTHONPATH=. python3.11 -u train.py')).toBe('python3.11');
    expect(commandProgram('CUDA_VISIBLE_DEVICES=0 nice -n 5 .venv/bin/python train.py')).toBe('.venv/bin/python');
    expect(commandProgram('cd src && python -c "import torch"')).toBe('python');
    expect(commandProgram('uv run train.py')).toBe('uv');
    expect(commandProgram("bash run.sh; echo 'done'")).toBe('bash');
    expect(commandProgram('"my python" x.py')).toBe('my python');
    expect(commandProgram('   ')).toBeNull();
  });
});

describe('resolveProgram and explainCrash', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-explain-'));
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'opt'));
    await writeFile(join(root, 'opt', 'python3.99'), '#!/bin/sh\n');
    await chmod(join(root, 'opt', 'python3.99'), 0o755);
    await symlink(join(root, 'opt', 'python3.99'), join(root, 'bin', 'python3'));
    await writeFile(join(root, 'bin', 'notexec'), '');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds a command word on the PATH as the shell would, and its real path', async () => {
    expect(await resolveProgram('python3', `/nonexistent:${join(root, 'bin')}`, root)).toEqual({ path: join(root, 'bin', 'python3'), realPath: join(root, 'opt', 'python3.99') });
    expect(await resolveProgram('python3', 'bin', root)).toEqual({ path: join(root, 'bin', 'python3'), realPath: join(root, 'opt', 'python3.99') });
    expect(await resolveProgram('opt/python3.99', '', root)).toEqual({ path: join(root, 'opt', 'python3.99'), realPath: join(root, 'opt', 'python3.99') });
    expect(await resolveProgram('notexec', join(root, 'bin'), root)).toEqual({ path: null, realPath: null });
    expect(await resolveProgram('python3', undefined, root)).toEqual({ path: null, realPath: null });
  });

  it('says which interpreter lacks which package, and what to do', async () => {
    const e = await explainCrash({ command: 'python3 train.py', reason: "exit code 1: ModuleNotFoundError: No module named 'cv2'", tail: MODULE_NOT_FOUND.replace("'numpy'", "'cv2'"), path: join(root, 'bin'), cwd: root });
    expect(e.failingLine).toBe("ModuleNotFoundError: No module named 'cv2'");
    expect(e.missingModule).toEqual({ module: 'cv2', package: 'opencv-python' });
    expect(e.interpreter).toEqual({ word: 'python3', path: join(root, 'bin', 'python3'), realPath: join(root, 'opt', 'python3.99') });
    expect(e.text).toContain(`the interpreter \`python3\` (${join(root, 'bin', 'python3')} → ${join(root, 'opt', 'python3.99')})`);
    expect(e.text).toContain(`\`${join(root, 'opt', 'python3.99')} -m pip install opencv-python\``);
    expect(e.text).toMatch(/program's `setup` \(TASK\.md\)/);
    oneSafeLine(e.text);
  });

  it('says when the interpreter is not on the PATH at all', async () => {
    const missing = await explainCrash({ command: 'python3 train.py', reason: 'exit code 127: /bin/sh: 1: python3: not found', tail: '/bin/sh: 1: python3: not found\n', path: join(root, 'opt'), cwd: root });
    expect(missing.missingModule).toBeNull();
    expect(missing.text).toMatch(/failing line: \/bin\/sh: 1: python3: not found\. The run command's `python3` is not on the run's PATH/);
    const unknown = await explainCrash({ command: 'python3 train.py', reason: "exit code 1: ModuleNotFoundError: No module named 'numpy'", tail: MODULE_NOT_FOUND, path: join(root, 'opt'), cwd: root });
    expect(unknown.text).toContain("the interpreter `python3` (not found on the run's PATH)");
  });

  it('a crash that is no missing module says only its failing line; hostile commands stay one safe line', async () => {
    const oom = await explainCrash({ command: 'python3 train.py', reason: 'exit code 1: x', tail: OOM, path: join(root, 'bin'), cwd: root });
    expect(oom.text).toMatch(/^failing line: torch\.OutOfMemoryError: CUDA out of memory/);
    const hostile = await explainCrash({ command: '"py\x1b]0;x\x07\nthon" train.py', reason: "exit code 1: ModuleNotFoundError: No module named 'numpy'", tail: MODULE_NOT_FOUND, path: join(root, 'bin'), cwd: root });
    oneSafeLine(hostile.text);
  });
});
