import { useState } from 'react';
import type { MembershipInfo } from '../../../../protocol/index.ts';
import { errorMessage, workerApi } from '../../api.ts';
import { formatDuration } from '../../format.ts';
import { useWorkerStore } from '../../worker-store.ts';
import { RichText } from '../RichText.tsx';

function lineageText(l: NonNullable<ReturnType<typeof useWorkerStore.getState>['lineage']>): string {
  const people = l.chain.map((step) => `${step.you ? 'you' : step.member_name} (${step.id})`);
  const base = people.length === 0 ? "the program's original code" : `changes by ${people.join(', ')}${l.complete ? '' : ' (the list may be incomplete)'}`;
  return l.local_edits.length > 0 ? `${base}, plus your local edits to ${l.local_edits.join(', ')}` : base;
}

/** Start one run or a loop of the selected membership's experiment, and stop it. */
export function RunPanel({ token, membership }: { token: string; membership: MembershipInfo }) {
  const program = membership.program;
  const run = useWorkerStore((s) => s.state?.run ?? null);
  const progress = useWorkerStore((s) => s.progress);
  const notes = useWorkerStore((s) => s.notes);
  const sandbox = useWorkerStore((s) => s.sandbox);
  const lineage = useWorkerStore((s) => s.lineage);
  const [loop, setLoop] = useState(false);
  const [mutate, setMutate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const active = run !== null && (run.state === 'running' || run.state === 'stopping');
  const ours = run !== null && run.membership === membership.id;

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
  else if (run.state === 'running') {
    const p = progress !== null ? ` · ${formatDuration(progress.elapsedSeconds * 1000)} of ${formatDuration(progress.budgetSeconds * 1000)} budget` : '';
    line = `${run.loop ? 'Loop' : 'Run'} of ${run.program}: run ${Math.max(run.runs, 1)} going${p}`;
  } else if (run.state === 'stopping') line = 'Stopping: the experiment is being ended; a stopped run is not submitted.';
  else if (run.state === 'failed') line = `Stopped with an error: ${run.message ?? 'unknown'}`;
  else line = `Finished (${run.message ?? 'done'}) after ${run.runs} run${run.runs === 1 ? '' : 's'}.`;

  return (
    <section className="section panel" aria-labelledby="run-title">
      <h2 id="run-title">Experiments</h2>
      <div className="run-controls">
        <label className="check">
          <input type="checkbox" checked={loop} onChange={(e) => setLoop(e.target.checked)} disabled={active} /> Keep going (loop until stopped)
        </label>
        <label className="check">
          <input type="checkbox" checked={mutate} onChange={(e) => setMutate(e.target.checked)} disabled={active} /> Propose a change each run (built-in
          mutator over TASK.md&apos;s search ranges)
        </label>
        <div className="actions">
          <button
            type="button"
            className="btn btn-primary"
            data-testid="run-start"
            disabled={active || busy}
            onClick={() => void act(() => workerApi.run(token, { program: membership.id, loop, propose: mutate ? 'mutate' : null }))}
          >
            {loop ? 'Start loop' : 'Run once'}
          </button>
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
