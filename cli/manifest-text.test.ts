import { describe, expect, it } from 'vitest';
import type { ProgramManifest } from '../protocol/index.ts';
import { describeManifest } from './manifest-text.ts';

const files = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `f${i}.py`, bytes: 100 }));

describe('describeManifest', () => {
  it('names the files, their count and total size, and what was left out and why', () => {
    const m: ProgramManifest = {
      files: [{ path: 'TASK.md', bytes: 900 }, { path: 'train.py', bytes: 11_700 }],
      count: 2,
      bytes: 12_600,
      left_out: [{ path: '.git/', why: 'version control: never shipped' }],
      left_out_count: 1,
    };
    expect(describeManifest(m)).toBe(
      'Members will receive 2 files (12.3 KiB): TASK.md, train.py\nLeft out: .git/ (version control: never shipped). A .cohortignore in the folder leaves out more.',
    );
  });

  it('lists 30 files and 10 left-out entries, then counts the rest', () => {
    const m: ProgramManifest = { files: files(45), count: 45, bytes: 4500, left_out: files(50).map((f) => ({ path: f.path, why: 'x' })), left_out_count: 80 };
    const [shipped, left] = describeManifest(m).split('\n');
    expect(shipped).toMatch(/^Members will receive 45 files \(4\.4 KiB\): f0\.py, .*, f29\.py, … and 15 more$/);
    expect(left).toMatch(/^Left out: f0\.py \(x\), .*, f9\.py \(x\), … and 70 more\./);
  });

  it('says nothing about left-out entries when there are none', () => {
    expect(describeManifest({ files: files(1), count: 1, bytes: 100, left_out: [], left_out_count: 0 })).toBe('Members will receive 1 file (100 bytes): f0.py');
  });
});
