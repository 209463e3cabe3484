import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.ts';

/** A write the test finishes by hand, one batch at a time. */
function manualWrites() {
  const batches: { items: number[]; done: () => void; fail: (e: Error) => void }[] = [];
  const write = (items: number[]) => new Promise<void>((done, fail) => batches.push({ items, done, fail }));
  return { batches, write };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('GroupCommitter', () => {
  it('writes what is added in one turn as one batch, and one batch at a time by default', async () => {
    const { batches, write } = manualWrites();
    const c = new GroupCommitter(write);
    const first = [c.add(1), c.add(2)];
    await turn();
    const second = [c.add(3)];
    await turn();
    const third = [c.add(4)];
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1, 2]]); // the rest wait for the first
    batches[0]!.done();
    await Promise.all(first);
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1, 2], [3, 4]]);
    batches[1]!.done();
    await Promise.all([...second, ...third]);
    await c.drain();
  });

  it('with inFlight 2, sends the next batch while one is written, in order, and no more than two', async () => {
    const { batches, write } = manualWrites();
    const c = new GroupCommitter(write, { inFlight: 2 });
    const all = [c.add(1)];
    await turn();
    all.push(c.add(2));
    await turn();
    all.push(c.add(3), c.add(4));
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    batches[0]!.done();
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3, 4]]);
    batches[1]!.done();
    batches[2]!.done();
    await Promise.all(all);
  });

  it('a failed write refuses its batch and everything queued behind it; later adds are written', async () => {
    const { batches, write } = manualWrites();
    const c = new GroupCommitter(write);
    const failed = [c.add(1)];
    await turn();
    failed.push(c.add(2));
    await turn();
    batches[0]!.fail(new Error('disk full'));
    for (const r of await Promise.allSettled(failed)) expect(r).toMatchObject({ status: 'rejected', reason: { message: 'disk full' } });
    const later = c.add(3);
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1], [3]]);
    batches[1]!.done();
    await later;
  });

  it('drain waits for batches in flight and queued', async () => {
    const { batches, write } = manualWrites();
    const c = new GroupCommitter(write, { inFlight: 2 });
    void c.add(1);
    let drained = false;
    const d = c.drain().then(() => (drained = true));
    await turn();
    await turn();
    expect(drained).toBe(false);
    batches[0]!.done();
    await d;
    expect(drained).toBe(true);
  });
});
