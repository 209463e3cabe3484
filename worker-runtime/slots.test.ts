import { describe, expect, it } from 'vitest';
import { WorkerError } from './credentials.ts';
import { parseGpus, slotGpus } from './slots.ts';

describe('--gpus', () => {
  it('parses all or a list of indexes, and refuses anything else', () => {
    expect(parseGpus('all')).toBe('all');
    expect(parseGpus('0, 1,3')).toEqual([0, 1, 3]);
    for (const bad of ['', '1,,2', '-1', 'gpu0', '0;rm -rf /', '1e3', '9999']) expect(() => parseGpus(bad), bad).toThrow(WorkerError);
  });

  it('cuts the chosen GPUs into one group per run, checking they exist', () => {
    const four = { gpu_count: 4 };
    expect(slotGpus('all', four, 1)).toEqual([[0], [1], [2], [3]]);
    expect(slotGpus([2, 0, 2], four, 1)).toEqual([[2], [0]]);
    expect(slotGpus('all', four, 2)).toEqual([[0, 1], [2, 3]]);
    expect(slotGpus([0, 1, 2], four, 2)).toEqual([[0, 1]]);
    expect(() => slotGpus([4], four, 1)).toThrow('--gpus: GPU 4 does not exist here (nvidia-smi lists 4: 0, 1, 2, 3).');
    expect(() => slotGpus('all', { gpu_count: 0 }, 1)).toThrow(/there is no GPU to run on \(nvidia-smi lists no GPU on this machine\)/);
    expect(() => slotGpus([1], four, 2)).toThrow('--gpus: the program needs 2 GPUs per run (requires.gpu_count) and 1 were given.');
  });
});
