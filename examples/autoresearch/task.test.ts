/**
 * examples/autoresearch: the TASK.md files parse with the real TASK.md parser, load as a program
 * from a folder shaped like a checkout of karpathy/autoresearch, and every `search` constant is one
 * the built-in proposer (worker-runtime/proposer/mutate.ts) can change in autoresearch's train.py.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTaskMd } from '../../main/program/frontmatter.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import type { TaskSpec } from '../../protocol/index.ts';
import { mutate, seededRandom } from '../../worker-runtime/proposer/mutate.ts';

const HERE = new URL('./', import.meta.url);
const TASKS = ['TASK.md', 'TASK.spark.md'] as const;
const read = (name: string) => readFile(new URL(name, HERE), 'utf8');

/**
 * A stand-in for train.py: only the lines of autoresearch's hyperparameter block (upstream values and
 * comments, as the proposer meets them), none of its code. The proposer edits `NAME = <number>` lines.
 */
const CONSTANTS = [
  'ASPECT_RATIO = 64       # model_dim = depth * ASPECT_RATIO',
  'HEAD_DIM = 128          # target head dimension for attention',
  'WINDOW_PATTERN = "SSSL" # sliding window pattern: L=full, S=half context',
  'TOTAL_BATCH_SIZE = 2**19 # ~524K tokens per optimizer step',
  'EMBEDDING_LR = 0.6      # learning rate for token embeddings (Adam)',
  'UNEMBEDDING_LR = 0.004  # learning rate for lm_head (Adam)',
  'MATRIX_LR = 0.04        # learning rate for matrix parameters (Muon)',
  'SCALAR_LR = 0.5         # learning rate for per-layer scalars (Adam)',
  'WEIGHT_DECAY = 0.2      # cautious weight decay for Muon',
  'ADAM_BETAS = (0.8, 0.95) # Adam beta1, beta2',
  'WARMUP_RATIO = 0.0      # fraction of time budget for LR warmup',
  'WARMDOWN_RATIO = 0.5    # fraction of time budget for LR warmdown',
  'FINAL_LR_FRAC = 0.0     # final LR as fraction of initial',
  'DEPTH = 8               # number of transformer layers',
  'DEVICE_BATCH_SIZE = 128 # per-device batch size (reduce if OOM)',
];
const STAND_IN = `${CONSTANTS.join('\n')}\n`;

/** `NAME = <value>  # comment` of the stand-in: the value is everything between `=` and the comment. */
function lineOf(text: string, name: string): { value: string; comment: string } | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  const m = line === undefined ? null : /^\w+ = (\S+)(\s*#.*)$/.exec(line);
  return m ? { value: m[1]!, comment: m[2]! } : null;
}

/** The proposer's files: one train.py in memory. */
function memoryFiles(initial: string) {
  let text = initial;
  return {
    readFile: (path: string) => Promise.resolve(path === 'train.py' ? text : null),
    writeFile: (_path: string, content: string) => {
      text = content;
      return Promise.resolve();
    },
    get text() {
      return text;
    },
  };
}

describe.each(TASKS)('examples/autoresearch/%s', (file) => {
  let spec: TaskSpec;
  let body: string;
  beforeEach(async () => {
    ({ spec, body } = parseTaskMd(await read(file), file));
  });

  it('is autoresearch: val_bpb minimized, train.py edited, the summary block documented', () => {
    expect(spec).toMatchObject({ metric: 'val_bpb', direction: 'minimize', accept: 'beats-champion', editable: ['train.py'] });
    expect(body).toContain('val_bpb:');
    expect(body).toContain('peak_vram_mb:');
  });

  it('sets up with network into the program home and runs without: the environment at $HOME/venv, HF_HUB_OFFLINE only on the run', () => {
    expect(spec.setup).toMatch(/uv sync --frozen/);
    expect(spec.setup).toMatch(/uv run --frozen prepare\.py/);
    expect(spec.setup).toMatch(/^set -e$/m);
    expect(spec.run).toBe('HF_HUB_OFFLINE=1 "$HOME/venv/bin/python" train.py');
    // Setup runs in a folder of its own: the environment must land in the home, where runs find it.
    expect(spec.env?.UV_PROJECT_ENVIRONMENT).toBe('$HOME/venv');
    // Setup never sees train.py (members' code gets no network): the kernel's repository is named, not imported.
    expect(spec.setup).not.toMatch(/import train|train\.py/);
    // `env` applies to setup too, which must reach the hub.
    expect(Object.keys(spec.env ?? {})).not.toContain('HF_HUB_OFFLINE');
    expect(Object.keys(spec.env ?? {})).not.toContain('UV_OFFLINE');
  });

  it('leaves room for 300 s of training plus start-up and evaluation, and admits one GPU model', () => {
    expect(spec.time_budget).toBeGreaterThanOrEqual(600);
    expect(spec.requires?.gpu).toMatch(/^(H100|GB10)$/);
  });

  it('sets the margins inside the field noise of val_bpb (0.0005-0.002) and re-runs claims', () => {
    expect(spec.min_improvement).toBeGreaterThanOrEqual(0.0005);
    expect(spec.min_improvement).toBeLessThanOrEqual(0.002);
    expect(spec.verify?.replicas).toBeGreaterThanOrEqual(1);
    expect(spec.verify?.tolerance).toBeGreaterThanOrEqual(0.0005);
    expect(spec.verify?.tolerance).toBeLessThanOrEqual(0.002);
  });

  it('names only constants of train.py that are plain numbers, each starting inside its range', () => {
    const names = Object.keys(spec.search ?? {});
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const range = spec.search![name]!;
      const line = lineOf(STAND_IN, name);
      expect(line, `${name} is not a constant of train.py`).not.toBeNull();
      expect(line!.value, `${name} = ${line!.value} is not a plain number`).toMatch(/^-?\d+(\.\d+)?$/);
      const value = Number(line!.value);
      expect(value, `${name} = ${value} outside ${range.min}..${range.max}`).toBeGreaterThanOrEqual(range.min);
      expect(value).toBeLessThanOrEqual(range.max);
      if (range.integer) expect(Number.isInteger(value), `${name} is an integer range`).toBe(true);
    }
  });

  it('lets the built-in proposer change each constant as a whole number, in range, keeping its comment', async () => {
    const random = seededRandom(13);
    for (const [name, range] of Object.entries(spec.search ?? {})) {
      const only: TaskSpec = { ...spec, search: { [name]: range } };
      for (let i = 0; i < 20; i++) {
        const files = memoryFiles(STAND_IN);
        const { mutations } = await mutate(files, only, random);
        expect(mutations).toHaveLength(1);
        const [m] = mutations;
        const before = lineOf(STAND_IN, name)!;
        expect(m!.from, `the proposer read ${name} as ${m!.from}, not ${before.value}`).toBe(before.value);
        const after = lineOf(files.text, name)!;
        expect(after.value).toBe(m!.to);
        expect(after.comment).toBe(before.comment);
        expect(Number(after.value)).toBeGreaterThanOrEqual(range.min);
        expect(Number(after.value)).toBeLessThanOrEqual(range.max);
        if (range.integer) expect(after.value).toMatch(/^\d+$/);
        // Nothing else in the file moved.
        expect(files.text.split('\n').filter((l) => !l.startsWith(`${name} `))).toEqual(STAND_IN.split('\n').filter((l) => !l.startsWith(`${name} `)));
      }
    }
  });
});

describe('examples/autoresearch: what is left out of search, and why', () => {
  it('would corrupt TOTAL_BATCH_SIZE = 2**19: the proposer reads the 2 and keeps **19', async () => {
    const spec = parseTaskMd(await read('TASK.md')).spec;
    expect(Object.keys(spec.search ?? {})).not.toContain('TOTAL_BATCH_SIZE');
    const files = memoryFiles(STAND_IN);
    const { mutations } = await mutate(files, { ...spec, search: { TOTAL_BATCH_SIZE: { min: 2 ** 16, max: 2 ** 20, integer: true, scale: 'log' } } }, seededRandom(1));
    expect(mutations[0]!.from).toBe('2');
    expect(lineOf(files.text, 'TOTAL_BATCH_SIZE')!.value).toMatch(/^\d+\*\*19$/);
  });
});

describe('examples/autoresearch: publishing a checkout with TASK.md copied in', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-autoresearch-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads, and ships the files setup and runs need while leaving out results and tool state', async () => {
    // File names as in the checkout; stub contents (only train.py's constant lines are needed).
    const files: Record<string, string> = {
      'TASK.md': await read('TASK.md'),
      'train.py': STAND_IN,
      'prepare.py': 'TIME_BUDGET = 300\n',
      'pyproject.toml': '[project]\nname = "autoresearch"\n',
      'uv.lock': 'version = 1\n',
      'program.md': '# autoresearch\n',
      'README.md': '# autoresearch\n',
      '.gitignore': '.venv\n',
      'results.tsv': 'commit\tval_bpb\tmemory_gb\tstatus\tdescription\n',
    };
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const program = await loadProgram(dir);
    expect(program.spec.name).toBe('autoresearch');
    expect(program.files.map((f) => f.path)).toEqual(['README.md', 'TASK.md', 'prepare.py', 'program.md', 'pyproject.toml', 'train.py', 'uv.lock']);
    expect(program.manifest.left_out.map((l) => l.path).sort()).toEqual(['.gitignore', 'results.tsv']);
  });
});
