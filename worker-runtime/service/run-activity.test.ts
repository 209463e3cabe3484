import { describe, expect, it } from 'vitest';
import type { WorkerEvent } from '../events.ts';
import type { RunOutcome } from '../runner/run-experiment.ts';
import { foldActivity, initialActivity, isFollowed, type RunActivity } from './run-activity.ts';

function outcome(status: 'ok' | 'crash', value: number | null): RunOutcome {
  return { status, reason: status === 'ok' ? 'ok' : 'exit code 1', value, exitCode: status === 'ok' ? 0 : 1, signal: null, timedOut: false, stopped: false, metrics: {}, summary: {}, tail: '', durations: { wall_seconds: 3 } };
}

function fold(events: WorkerEvent[], start: RunActivity = initialActivity()): RunActivity {
  return events.reduce((a, e, i) => foldActivity(a, e, 1000 + i) ?? a, start);
}

describe('the run activity the worker view shows', () => {
  it('one slot: events without `slot` are its own; setup, then a run, then its value', () => {
    const setup: WorkerEvent = { type: 'setup-start', command: 'echo ready', why: 'first run', logFile: '/l/setup.log', home: '/h', sandboxed: true };
    expect(fold([setup]).slots[0]).toMatchObject({ index: 0, gpus: null, state: 'setting-up' });
    expect(fold([setup]).setup).toEqual({ state: 'running', command: 'echo ready', why: 'first run', log_file: '/l/setup.log', reason: null, seconds: null });

    const a = fold([
      setup,
      { type: 'setup-end', ok: true, reason: 'done', seconds: 2, logFile: '/l/setup.log' },
      { type: 'run-start', run: 1, command: 'python3 train.py', logFile: '/l/run.log', budgetSeconds: 30, sandboxed: true },
    ]);
    expect(a.setup).toMatchObject({ state: 'done', command: 'echo ready', seconds: 2 });
    expect(a.slots).toEqual([{ index: 0, gpus: null, state: 'running', run: 1, started_at: 1002, budget_seconds: 30, last: null }]);

    const ended = fold([{ type: 'run-end', run: 1, outcome: outcome('ok', 0.42) }], a);
    expect(ended.slots).toEqual([{ index: 0, gpus: null, state: 'idle', run: null, started_at: null, budget_seconds: null, last: { run: 1, status: 'ok', value: 0.42 } }]);
  });

  it('a failed setup keeps its reason and log', () => {
    const a = fold([
      { type: 'setup-start', command: 'false', why: 'you asked for it', logFile: '/l/s.log', home: '/h', sandboxed: false },
      { type: 'setup-end', ok: false, reason: 'exit code 1', seconds: 0.1, logFile: '/l/s.log' },
    ]);
    expect(a.setup).toEqual({ state: 'failed', command: 'false', why: 'you asked for it', log_file: '/l/s.log', reason: 'exit code 1', seconds: 0.1 });
    expect(a.slots[0]!.state).toBe('idle');
  });

  it('several slots: each slot\'s events move only that slot', () => {
    const a = fold([
      { type: 'slots', slots: [{ index: 0, gpus: [0], workspace: '/w' }, { index: 1, gpus: [1], workspace: '/w.slot1' }] },
      { type: 'run-start', run: 1, command: 'c', logFile: '/l/1', budgetSeconds: 60, sandboxed: true, slot: 0 },
      { type: 'run-start', run: 2, command: 'c', logFile: '/l/2', budgetSeconds: 60, sandboxed: true, slot: 1 },
      { type: 'run-end', run: 2, outcome: outcome('crash', null), slot: 1 },
    ]);
    expect(a.slots.map((s) => [s.index, s.gpus, s.state, s.run, s.last])).toEqual([
      [0, [0], 'running', 1, null],
      [1, [1], 'idle', null, { run: 2, status: 'crash', value: null }],
    ]);
  });

  it('leaves the activity alone for events it does not show, and follows only the first slot\'s lines', () => {
    expect(foldActivity(initialActivity(), { type: 'output', chunk: 'x', stream: 'stdout' }, 0)).toBeNull();
    expect(foldActivity(initialActivity(), { type: 'info', message: 'hi' }, 0)).toBeNull();
    expect(isFollowed({ type: 'output', chunk: 'x', stream: 'stdout' })).toBe(true);
    expect(isFollowed({ type: 'output', chunk: 'x', stream: 'stdout', slot: 0 })).toBe(true);
    expect(isFollowed({ type: 'output', chunk: 'x', stream: 'stdout', slot: 1 })).toBe(false);
  });
});
