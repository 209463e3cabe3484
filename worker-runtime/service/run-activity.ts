import type { SetupState, SlotState } from '../../protocol/index.ts';
import type { WorkerEvent } from '../events.ts';

/** What a run's slots do now and how its last setup went: the part of RunState the events drive. */
export interface RunActivity {
  slots: SlotState[];
  setup: SetupState | null;
}

function idleSlot(index: number, gpus: number[] | null): SlotState {
  return { index, gpus, state: 'idle', run: null, started_at: null, budget_seconds: null, last: null };
}

/** Before the worker has said anything: one slot that sees every GPU (as startWorker without `gpus`). */
export function initialActivity(): RunActivity {
  return { slots: [idleSlot(0, null)], setup: null };
}

/**
 * The activity after one worker event, or null when the event does not change it (so the service
 * sends a state only when something the view shows changed). An event without `slot` is the only
 * slot's: the worker tags events only when there are several.
 */
export function foldActivity(a: RunActivity, e: WorkerEvent, now: number): RunActivity | null {
  const index = e.slot ?? 0;
  const patchSlot = (patch: Partial<SlotState>): SlotState[] => {
    const known = a.slots.some((s) => s.index === index) ? a.slots : [...a.slots, idleSlot(index, null)];
    return known.map((s) => (s.index === index ? { ...s, ...patch } : s));
  };
  const idle = { state: 'idle', run: null, started_at: null, budget_seconds: null } as const;
  switch (e.type) {
    case 'slots':
      return { ...a, slots: e.slots.map((s) => idleSlot(s.index, s.gpus)) };
    case 'setup-start':
      return {
        slots: patchSlot({ ...idle, state: 'setting-up', started_at: now }),
        setup: { state: 'running', command: e.command, why: e.why, log_file: e.logFile, reason: null, seconds: null },
      };
    case 'setup-end':
      return {
        slots: patchSlot(idle),
        setup: {
          state: e.ok ? 'done' : 'failed',
          command: a.setup?.command ?? '',
          why: a.setup?.why ?? '',
          log_file: e.logFile,
          reason: e.ok ? null : e.reason,
          seconds: e.seconds,
        },
      };
    case 'run-start':
      return { ...a, slots: patchSlot({ state: 'running', run: e.run, started_at: now, budget_seconds: e.budgetSeconds }) };
    case 'run-end':
      return { ...a, slots: patchSlot({ ...idle, last: { run: e.run, status: e.outcome.status, value: e.outcome.value } }) };
    default:
      return null;
  }
}

/**
 * Whether an event's output and metric lines are the ones the view shows live: with several slots
 * only the first slot's (the others' are in their log files, as the CLI does), so two runs' lines
 * never interleave in one pane or one chart.
 */
export function isFollowed(e: WorkerEvent): boolean {
  return e.slot === undefined || e.slot === 0;
}
