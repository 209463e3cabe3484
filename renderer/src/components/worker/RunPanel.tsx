import type { MetricFormat } from '../../format.ts';
import { useState } from 'react';
import type { MembershipInfo, RunState } from '../../../../protocol/index.ts';
import { errorMessage, workerApi } from '../../api.ts';
import { formatDuration } from '../../format.ts';
import { useNow } from '../../hooks.ts';
import { useWorkerStore, type Progress } from '../../worker-store.ts';
import { RichText } from '../RichText.tsx';
import { EMPTY_FORM, formOf, RunOptions, type RunForm } from './RunOptions.tsx';
import { SetupStatus } from './SetupStatus.tsx';
import { SlotRows } from './SlotRows.tsx';

type Lineage = NonNullable<NonNullable<ReturnType<typeof useWorkerStore.getState>['state']>['lineage']>;

function lineageText(l: Lineage): string {
  const people = l.chain.map((step) => `${step.you ? 'you' : step.member_name} (${step.id})`);
  const base = people.length === 0 ? "the program's original code" : `changes by ${people.join(', ')}${l.complete ? '' : ' (the list may be incomplete)'}`;
  return l.local_edits.length > 0 ? `${base}, plus your local edits to ${l.local_edits.join(', ')}` : base;
}

/**
 * How far the followed slot's run is: the feed's last progress event, else (a page just (re)loaded,
 * before the next one) the time since the slot's run started, which the service keeps.
 */
function progressOf(run: RunState, progress: Progress | null, now: number): Progress | null {
  if (progress !== null) return progress;
  const slot = run.slots.find((s) => s.index === 0);
  if (slot?.state !== 'running' || slot.started_at === null || slot.budget_seconds === null) return null;
  return { elapsedSeconds: Math.max(0, (now - slot.started_at) / 1000), budgetSeconds: slot.budget_seconds };
}

/** The status line of a run that is going on: setting up, or which run and how far. */
function goingLine(run: RunState, progress: Progress | null): string {
  if (run.setup_only) return `Setting up ${run.program}: its setup command runs, with network.`;
  const settingUp = run.slots.some((s) => s.state === 'setting-up');
  const running = run.slots.filter((s) => s.state === 'running').length;
  if (settingUp && running === 0) return `${run.loop ? 'Loop' : 'Run'} of ${run.program}: setting up the program before the first run`;
  if (run.slots.length > 1) return `${run.loop ? 'Loop' : 'Runs'} of ${run.program} on ${run.slots.length} slots: ${running} running, ${run.runs} started`;
  const p = progress !== null ? ` · ${formatDuration(progress.elapsedSeconds * 1000)} of ${formatDuration(progress.budgetSeconds * 1000)} budget` : '';
  return `${run.loop ? 'Loop' : 'Run'} of ${run.program}: run ${Math.max(run.runs, 1)} going${p}`;
}

/**
 * Start one run or a loop of the selected membership's experiment (one at a time, or one per GPU),
 * run the program's setup on its own, and stop either.
 */
export function RunPanel({ token, membership, setup, metric, gpusPerRun, fmt }: { token: string; membership: MembershipInfo; setup: string | null; metric: string; gpusPerRun: number; fmt: MetricFormat }) {
  const program = membership.program;
  const run = useWorkerStore((s) => s.state?.run ?? null);
  const progress = useWorkerStore((s) => s.progress);
  const notes = useWorkerStore((s) => s.notes);
  const sandbox = useWorkerStore((s) => s.state?.sandbox ?? null);
  const lineage = useWorkerStore((s) => s.state?.lineage ?? null);
  const now = useNow();
  const [typed, setForm] = useState<RunForm>(EMPTY_FORM);
  const gpuCount = useWorkerStore((s) => s.state?.machine.gpu_count ?? 0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const active = run !== null && (run.state === 'running' || run.state === 'stopping');
  const ours = run !== null && run.membership === membership.id;
  // While this program's run goes on the form shows its options (they come from the service, so a reload keeps them).
  const locked = active && ours;
  const form = locked ? formOf(run) : typed;
  const { loop, mutate, gpus } = form;
  // "Run once" on every GPU means once in each slot (worker-runtime/slots.ts groups GPUs by requires.gpu_count).
  const perGpu = gpus === 'all' && !loop ? Math.max(1, Math.floor(gpuCount / Math.max(1, gpusPerRun))) : null;
  // The proposer writes its own hypothesis; a typed one goes with runs without it.
  const hypothesis = mutate ? '' : form.hypothesis.trim();

  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      await useWorkerStore.getState().refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  let line: string;
  if (run === null) line = 'Nothing has run yet in this session.';
  else if (run.state === 'running') line = goingLine(run, progressOf(run, progress, now));
  else if (run.state === 'stopping') line = 'Stopping: the experiment is being ended; a stopped run is not submitted.';
  else if (run.state === 'failed') line = `Stopped with an error: ${run.message ?? 'unknown'}`;
  else if (run.setup_only) line = `Setup finished (${run.message ?? 'done'}).`;
  else line = `Finished (${run.message ?? 'done'}) after ${run.runs} run${run.runs === 1 ? '' : 's'}.`;

  return (
    <section className="section panel" aria-labelledby="run-title">
      <h2 id="run-title">Experiments</h2>
      <div className="run-controls">
        <RunOptions form={form} onChange={setForm} gpuCount={gpuCount} locked={locked} disabled={active} />
        <div className="actions">
          <button
            type="button"
            className="btn btn-primary"
            data-testid="run-start"
            disabled={active || busy}
            onClick={() => void act(() => workerApi.run(token, { program: membership.id, loop, propose: mutate ? 'mutate' : null, gpus, ...(hypothesis !== '' ? { hypothesis } : {}), ...(perGpu !== null ? { runs: perGpu } : {}) }))}
          >
            {loop ? 'Start loop' : perGpu !== null ? `Run ${perGpu} at once` : 'Run once'}
          </button>
          {setup !== null && (
            <button
              type="button"
              className="btn"
              data-testid="setup-start"
              title={`Runs the program's setup now, with network: ${setup}`}
              disabled={active || busy}
              onClick={() => void act(() => workerApi.run(token, { program: membership.id, setup_only: true, gpus }))}
            >
              Set up
            </button>
          )}
          <button type="button" className="btn btn-danger" data-testid="run-stop" disabled={!active || busy || run?.state === 'stopping'} onClick={() => void act(() => workerApi.stop(token))}>
            Stop
          </button>
        </div>
      </div>
      <p className="run-state" role="status" data-testid="run-state" data-state={run?.state ?? 'idle'}>
        {active && !ours ? `A run of ${run.program} is going on; stop it before running ${program}.` : line}
      </p>
      {error !== null && (
        <p className="inline-error" role="alert">
          <RichText text={error} />
        </p>
      )}
      {ours && run.setup !== null && <SetupStatus setup={run.setup} />}
      {ours && active && <SlotRows slots={run.slots} metric={metric} fmt={fmt} />}
      {ours && sandbox !== null && (
        <p className={sandbox.sandboxed ? 'muted small' : 'note-warning small strong'} data-testid="sandbox" data-sandboxed={String(sandbox.sandboxed)}>
          {sandbox.sandboxed
            ? `Runs are sandboxed (bubblewrap): no network, a read-only system, your home and Cohort's tokens hidden; only the workspace and ${sandbox.cache_dir} are writable${sandbox.devices.length > 0 ? `; GPU devices passed through: ${sandbox.devices.join(', ')}` : ''}.`
            : 'Runs are NOT sandboxed: code from other members runs with all of your rights (network, home folder, membership tokens).'}
        </p>
      )}
      {ours && lineage !== null && (
        <p className="small" data-testid="lineage">
          <span className="strong">Code of run {lineage.run}:</span> {lineageText(lineage)}
        </p>
      )}
      {notes.length > 0 && (
        <ul className="notes small" aria-label="Notes from the worker">
          {notes.slice(-5).map((n, i) => (
            <li key={i} className={n.kind === 'warning' ? 'note-warning' : 'muted'}>
              {n.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
