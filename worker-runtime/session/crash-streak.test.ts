import { describe, expect, it } from 'vitest';
import type { WorkerEvent } from '../events.ts';
import { CrashStreak } from './crash-streak.ts';

const end = (status: 'ok' | 'crash', reason = '', stopped = false): WorkerEvent =>
  ({ type: 'run-end', run: 1, outcome: { status, reason, stopped, value: status === 'ok' ? 1 : null } }) as unknown as WorkerEvent;

describe('CrashStreak', () => {
  it('speaks at the third crash in a row with the same reason (numbers in it aside), not before', () => {
    const s = new CrashStreak();
    expect(s.see(end('crash', 'ModuleNotFoundError: No module named torch (line 3)'))).toBeNull();
    expect(s.see(end('crash', 'ModuleNotFoundError: No module named torch (line 3)'))).toBeNull();
    expect(s.see(end('crash', 'ModuleNotFoundError: No module named torch (line 4)'))).toMatch(/No module named torch/);
  });

  it('a success, another reason or a stopped run does not continue a streak', () => {
    const s = new CrashStreak();
    for (const e of [end('crash', 'a'), end('crash', 'a'), end('ok'), end('crash', 'a'), end('crash', 'b'), end('crash', 'a'), end('crash', 'a')]) expect(s.see(e)).toBeNull();
    expect(s.see(end('crash', 'x', true))).toBeNull(); // stopped runs are not counted either way
    expect(s.see(end('crash', 'a'))).toMatch(/^a$/);
    expect(s.see({ type: 'info', message: 'x' })).toBeNull();
  });

  it('a preflight is not one of the loop\'s runs: it neither counts nor breaks a streak', () => {
    const s = new CrashStreak();
    const preflight = (status: 'ok' | 'crash') => ({ ...end(status, 'a'), preflight: { champion: 'r1' } }) as WorkerEvent;
    expect(s.see(end('crash', 'a'))).toBeNull();
    expect(s.see(preflight('ok'))).toBeNull();
    expect(s.see(end('crash', 'a'))).toBeNull();
    expect(s.see(preflight('crash'))).toBeNull();
    expect(s.see(end('crash', 'a'))).toMatch(/^a$/);
  });
});
