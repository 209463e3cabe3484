import { create } from 'zustand';
import { settleClaim, type MetricPoint, type ResultRecord, type WorkerFeedEvent, type WorkerProgramResponse, type WorkerServiceState } from '../../protocol/index.ts';
import { errorMessage, workerApi } from './api.ts';
import type { Connection } from './store.ts';

/** The output kept on screen: the service keeps the same ~64 KB for a reload. */
const OUTPUT_CHARS = 64 * 1024;

export interface Progress {
  elapsedSeconds: number;
  budgetSeconds: number;
}

export interface WorkerViewState {
  token: string | null;
  state: WorkerServiceState | null;
  loadError: string | null;
  connection: Connection;
  /** The membership the view shows: its id (two hosts may both publish a program of one name). */
  selected: string | null;
  /** What its host says now: champion, this member's results, the workspace. */
  program: WorkerProgramResponse | null;
  programError: string | null;
  /** From the feed's progress events; until the first one after a (re)load, the slot's start says how far (RunPanel). */
  progress: Progress | null;
  /** Notes from the run (warnings, retries, the hypothesis), newest last. */
  notes: { kind: 'info' | 'warning'; text: string }[];
  setToken(token: string): void;
  setConnection(connection: Connection): void;
  select(membership: string | null): void;
  refresh(): Promise<void>;
  refreshProgram(): Promise<void>;
  apply(event: WorkerFeedEvent): void;
}

const MAX_NOTES = 50;

/**
 * Whether a slot's lines feed the live pane, chart and progress: the only slot's (no `slot`), or
 * with several the first's, as the service keeps only its output (worker-runtime/service/run-activity.ts).
 */
function followed(event: { slot?: number }): boolean {
  return event.slot === undefined || event.slot === 0;
}

function seconds(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

export const useWorkerStore = create<WorkerViewState>()((set, get) => ({
  token: null,
  state: null,
  loadError: null,
  connection: 'connecting',
  selected: null,
  program: null,
  programError: null,
  progress: null,
  notes: [],
  setToken: (token) => set({ token }),
  setConnection: (connection) => set({ connection }),
  select(membership) {
    if (membership === get().selected) return;
    set({ selected: membership, program: null, programError: null });
    void get().refreshProgram();
  },
  async refresh() {
    const token = get().token;
    if (token === null) return;
    try {
      const fetched = await workerApi.state(token);
      const before = get().state;
      // A snapshot asked for before this run's sandbox or lineage event came may arrive after it
      // (a reconnect mid-run): what the event said is newer, so the snapshot does not take it back.
      const sameRun = before !== null && before.run !== null && before.run.started_at === fetched.run?.started_at;
      const state = sameRun ? { ...fetched, sandbox: fetched.sandbox ?? before.sandbox, lineage: fetched.lineage ?? before.lineage } : fetched;
      set({ state, loadError: null });
      keepSelection(before, state);
    } catch (err) {
      set({ loadError: errorMessage(err) });
    }
  },
  async refreshProgram() {
    const { token, selected } = get();
    if (token === null || selected === null) return;
    try {
      const program = await workerApi.program(token, selected);
      if (get().selected === selected) set({ program, programError: null });
    } catch (err) {
      if (get().selected === selected) set({ programError: errorMessage(err) });
    }
  },
  apply(event) {
    const current = get().state;
    if (current === null) return;
    switch (event.type) {
      case 'state': {
        const next = { ...current, ...event.state };
        set({ state: next });
        keepSelection(current, next);
        if (event.state.run?.state === 'finished' || event.state.run?.state === 'failed') set({ progress: null });
        return;
      }
      case 'run-start':
        if (!followed(event)) return;
        set({ state: { ...current, output: '', metrics: [] }, progress: { elapsedSeconds: 0, budgetSeconds: event.budget_seconds } });
        return;
      case 'setup-start': {
        // The setup's output streams into the pane like a run's; it is not a run, so no progress bar.
        if (followed(event)) set({ state: { ...current, output: '', metrics: [] }, progress: null });
        const where = event.slot === undefined ? '' : ` (slot ${event.slot})`;
        return note('info', `Setting the program up${where} (${event.why}): ${event.command} — with network${event.sandboxed ? ', otherwise sandboxed' : ', NOT sandboxed'}; log ${event.log_file}`);
      }
      case 'setup-end':
        if (event.ok) return note('info', `Setup done in ${seconds(event.seconds)}.`);
        return note('warning', `Setup ${event.reason === 'stopped' ? 'stopped' : `failed: ${event.reason}`} (log ${event.log_file}).`);
      case 'output': {
        const output = (current.output + event.chunk).slice(-OUTPUT_CHARS);
        set({ state: { ...current, output } });
        return;
      }
      case 'metric':
        set({ state: { ...current, metrics: [...current.metrics, event.point] satisfies MetricPoint[] } });
        return;
      case 'progress':
        if (!followed(event)) return;
        set({ progress: { elapsedSeconds: event.elapsed_seconds, budgetSeconds: event.budget_seconds } });
        return;
      case 'submitted': {
        set({ state: { ...current, submissions: [...current.submissions, event.submission] } });
        void get().refreshProgram();
        // A keep is only a claim until another member re-runs it: say so at once, not only in the list.
        const { verdict } = event.submission;
        if (verdict.verification === 'pending') note('info', `${verdict.id} kept: pending verification (another member re-runs it before it counts).`);
        return;
      }
      case 'sync':
      case 'run-end':
        void get().refreshProgram();
        return;
      case 'sandbox':
        set({ state: { ...current, sandbox: event } });
        return;
      case 'lineage':
        set({ state: { ...current, lineage: event } });
        return;
      case 'claim-verdict': {
        const r = event.result;
        set({ state: { ...current, submissions: settleClaim(current.submissions, event.membership, r) } });
        // Only the program shown, as another host's results may share the id.
        const { program, selected } = get();
        if (program !== null && selected === event.membership) set({ program: { ...program, mine: replaceResult(program.mine, r) } });
        if (r.verification === 'reproduced') return note('info', `Your claim ${r.id} was reproduced by another member's re-run: it earns.`);
        return note('warning', `Your claim ${r.id} was not reproduced: it earns nothing (${r.reason}).`);
      }
      case 'propose':
        return note('info', `Hypothesis: ${event.hypothesis}`);
      case 'info':
      case 'warning':
        return note(event.type, event.message);
      case 'rejected':
        return note('warning', `A result was not delivered (${event.reason}); it is kept in ${event.moved_to}.`);
      case 'retry':
        return note('warning', `The host is unreachable (${event.reason}); retrying in ${Math.round(event.delay_ms / 1000)} s.`);
    }
  },
}));

/** The member's results with one replaced by its newer record (same id); one the page has not listed yet is left for the next refresh. */
function replaceResult(mine: readonly ResultRecord[], r: ResultRecord): ResultRecord[] {
  return mine.map((m) => (m.id === r.id ? r : m));
}

function note(kind: 'info' | 'warning', text: string): void {
  const notes = [...useWorkerStore.getState().notes, { kind, text }].slice(-MAX_NOTES);
  useWorkerStore.setState({ notes });
}

/**
 * Turns to a membership when it just got joined or just started running (the person's own choice in
 * the picker stands otherwise), and away from one that is no longer joined.
 */
function keepSelection(before: WorkerServiceState | null, state: WorkerServiceState): void {
  const { selected, select } = useWorkerStore.getState();
  const joined = state.memberships.map((m) => m.id);
  const justJoined = state.join?.state === 'approved' && before?.join?.state !== 'approved' ? state.join.membership : null;
  const justStarted = state.run?.state === 'running' && (before?.run?.state !== 'running' || before.run.membership !== state.run.membership) ? state.run.membership : null;
  const focus = justStarted ?? justJoined;
  if (focus !== null && joined.includes(focus)) select(focus);
  else if (selected === null || !joined.includes(selected)) select(joined[0] ?? null);
}
