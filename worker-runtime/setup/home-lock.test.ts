import { describe, expect, it } from 'vitest';
import { HomeLock } from './home-lock.ts';

/** A task that records when it starts and ends, and ends when told. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    open,
    task: async () => {
      log.push(`${name}+`);
      await opened;
      log.push(`${name}-`);
    },
  };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('HomeLock', () => {
  it('lets runs share the home, and a setup have it alone once they ended', async () => {
    const lock = new HomeLock();
    const log: string[] = [];
    const [a, b, setup] = [gate(log, 'run-a'), gate(log, 'run-b'), gate(log, 'setup')];
    const done = [lock.shared(a.task), lock.shared(b.task), lock.exclusive(setup.task)];
    await tick();
    expect(log).toEqual(['run-a+', 'run-b+']); // both runs at once; the setup waits
    a.open();
    await tick();
    expect(log).toEqual(['run-a+', 'run-b+', 'run-a-']);
    b.open();
    await tick();
    expect(log.slice(-2)).toEqual(['run-b-', 'setup+']);
    setup.open();
    await Promise.all(done);
  });

  it('a waiting setup goes before runs that ask after it, and those runs wait until it ends', async () => {
    const lock = new HomeLock();
    const log: string[] = [];
    const [a, setup, c] = [gate(log, 'run-a'), gate(log, 'setup'), gate(log, 'run-c')];
    const done = [lock.shared(a.task), lock.exclusive(setup.task), lock.shared(c.task)];
    await tick();
    expect(log).toEqual(['run-a+']);
    a.open();
    await tick();
    expect(log).toEqual(['run-a+', 'run-a-', 'setup+']);
    setup.open();
    await tick();
    expect(log.slice(-2)).toEqual(['setup-', 'run-c+']);
    c.open();
    await Promise.all(done);
  });

  it('a task that fails lets the next one in', async () => {
    const lock = new HomeLock();
    await expect(lock.exclusive(() => Promise.reject(new Error('setup failed')))).rejects.toThrow('setup failed');
    await expect(lock.shared(async () => 'ran')).resolves.toBe('ran');
  });
});
