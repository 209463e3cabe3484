import { HomeLock } from '../setup/home-lock.ts';
import { describe, expect, it } from 'vitest';
import type { WorkerDirs } from '../dirs.ts';
import type { SandboxSession } from '../sandbox/session.ts';
import type { HostSession } from '../session/host-session.ts';
import type { Job, JobContext, JobOutcome, Slot } from './job.ts';
import { Scheduler } from './scheduler.ts';

const slot = (index: number): Slot => ({ index, dirs: { workspace: `/ws/${index}` } as WorkerDirs, sandbox: {} as SandboxSession, gpus: [index], home: new HomeLock() });
const host = {} as HostSession;
const tick = () => new Promise((r) => setTimeout(r, 1));

/** Jobs that record which slot ran which run, and end as `outcome(run)` says. */
function recordingJobs(outcome: (run: number) => JobOutcome | Error = () => 'done') {
  const ran: { run: number; workspace: string }[] = [];
  let taken = 0;
  const job: Job = {
    kind: 'experiment',
    async run(ctx: JobContext) {
      await tick();
      const run = ctx.nextRun();
      ran.push({ run, workspace: ctx.slot.dirs.workspace });
      await tick();
      const o = outcome(run);
      if (o instanceof Error) throw o;
      return o;
    },
  };
  return { ran, taken: () => taken, source: { next: async () => ((taken += 1), job) } };
}

describe('Scheduler', () => {
  it('runs jobs one after another in one slot, numbering the runs, up to the limit', async () => {
    const jobs = recordingJobs();
    const s = new Scheduler({ slots: [slot(0)], jobs: jobs.source, host, maxRuns: 3, emit: () => undefined });
    await s.run();
    expect(s.runs).toBe(3);
    expect(jobs.ran).toEqual([1, 2, 3].map((run) => ({ run, workspace: '/ws/0' })));
  });

  it('with several slots, each runs in its own workspace and the limit holds across them', async () => {
    const jobs = recordingJobs();
    const s = new Scheduler({ slots: [slot(0), slot(1)], jobs: jobs.source, host, maxRuns: 5, emit: () => undefined });
    await s.run();
    expect(s.runs).toBe(5);
    expect(jobs.taken()).toBe(5);
    expect(jobs.ran.map((r) => r.run).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(jobs.ran.map((r) => r.workspace))).toEqual(new Set(['/ws/0', '/ws/1']));
  });

  it('a refused run counts and the loop goes on; a stopped one ends it', async () => {
    const controller = new AbortController();
    const jobs = recordingJobs((run) => {
      if (run === 2) return 'refused';
      if (run === 3) {
        controller.abort();
        return 'stopped';
      }
      return 'done';
    });
    const s = new Scheduler({ slots: [slot(0)], jobs: jobs.source, host, emit: () => undefined, signal: controller.signal });
    await s.run();
    expect(s.runs).toBe(3);
  });

  it('a failing job ends the scheduling with its error; a failing source takes no run', async () => {
    const boom = new Error('boom');
    const jobs = recordingJobs((run) => (run === 2 ? boom : 'done'));
    const s = new Scheduler({ slots: [slot(0)], jobs: jobs.source, host, maxRuns: 10, emit: () => undefined });
    await expect(s.run()).rejects.toBe(boom);
    expect(s.runs).toBe(2);

    const none = new Scheduler({ slots: [slot(0)], jobs: { next: () => Promise.reject(boom) }, host, maxRuns: 10, emit: () => undefined });
    await expect(none.run()).rejects.toBe(boom);
    expect(none.runs).toBe(0);
  });
});
