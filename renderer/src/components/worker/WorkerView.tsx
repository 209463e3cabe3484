import { useEffect } from 'react';
import { useNow } from '../../hooks.ts';
import { followWorker } from '../../worker-events.ts';
import { useWorkerStore } from '../../worker-store.ts';
import { ChampionCard } from '../ChampionCard.tsx';
import { ConnectionIndicator } from '../ConnectionIndicator.tsx';
import { RichText } from '../RichText.tsx';
import { JoinPanel } from './JoinPanel.tsx';
import { JoinWorkspace } from './JoinWorkspace.tsx';
import { LiveOutput } from './LiveOutput.tsx';
import { RunChart } from './RunChart.tsx';
import { RunPanel } from './RunPanel.tsx';
import { Submissions } from './Submissions.tsx';
import { useProgramFormat } from './use-program-format.ts';
import { WorkspacePanel } from './WorkspacePanel.tsx';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The worker's view: join programs, run their experiment here, and see how the host judged each result. */
export function WorkerView({ token }: { token: string }) {
  const state = useWorkerStore((s) => s.state);
  const loadError = useWorkerStore((s) => s.loadError);
  const connection = useWorkerStore((s) => s.connection);
  const selected = useWorkerStore((s) => s.selected);
  const program = useWorkerStore((s) => s.program);
  // One number format for the program's metric, as in the owner view (format.ts has the rule).
  const fmt = useProgramFormat(program);
  const programError = useWorkerStore((s) => s.programError);
  const now = useNow();

  useEffect(() => {
    useWorkerStore.getState().setToken(token);
    void useWorkerStore.getState().refresh();
    return followWorker(token);
  }, [token]);

  const selectedProgram = state?.memberships.find((m) => m.id === selected)?.program ?? null;
  useEffect(() => {
    document.title = selectedProgram ? `${selectedProgram} · Cohort worker` : 'Cohort worker';
  }, [selectedProgram]);

  if (state === null) {
    return (
      <main className="center-screen" aria-busy={loadError === null}>
        {loadError === null ? (
          <p className="loading" role="status">
            Loading the worker…
          </p>
        ) : (
          <section className="panel notice" role="alert" data-testid="load-error">
            <h1>Cannot reach the worker</h1>
            <p>
              <RichText text={loadError} />
            </p>
            <button type="button" className="btn" onClick={() => void useWorkerStore.getState().refresh()}>
              Retry
            </button>
          </section>
        )}
      </main>
    );
  }

  const joined = state.memberships;
  const membership = joined.find((m) => m.id === selected) ?? null;
  // Two hosts may publish programs of one name: then the picker names the host too.
  const clashes = (name: string) => joined.filter((m) => m.program === name).length > 1;
  const waiting = state.join !== null && (state.join.state === 'waiting' || state.join.state === 'requesting');
  const spec = program?.program.spec ?? null;

  return (
    <div className="app">
      <header className="app-header">
        <div className="header-top">
          <span className="brand">
            Cohort <span className="brand-role">worker</span>
          </span>
          <ConnectionIndicator connection={connection} />
        </div>
        <p className="muted" data-testid="machine">
          This machine: {state.machine.hostname} · {state.machine.os} · {state.machine.gpu ?? 'no GPU found (runs use the CPU)'}
        </p>
        {joined.length > 0 && (
          <label className="program-picker">
            <span className="fact-key">program</span>{' '}
            <select value={selected ?? ''} onChange={(e) => useWorkerStore.getState().select(e.target.value)} data-testid="program-picker">
              {joined.map((m) => (
                <option key={m.id} value={m.id} title={m.url}>
                  {clashes(m.program) ? `${m.program} @ ${hostOf(m.url)} (${m.id})` : `${m.program} — ${m.url}`}
                </option>
              ))}
            </select>
          </label>
        )}
        {program !== null && <p className="objective">{program.program.spec.objective}</p>}
      </header>
      <main className="content">
        {loadError !== null && (
          <div className="banner banner-error" role="alert" data-testid="load-error">
            Could not refresh: <RichText text={loadError} />
          </div>
        )}
        {state.membership_problems.map((p) => (
          <div key={p.file} className="banner banner-error" role="alert" data-testid="membership-problem">
            <RichText text={p.message} />
          </div>
        ))}
        {(waiting || joined.length === 0) && <JoinPanel token={token} compact={false} />}
        {membership !== null && (
          <>
            {programError !== null && (
              <div className="banner banner-error" role="alert">
                <RichText text={programError} />
              </div>
            )}
            {/* Right after joining, where the panel that joined it no longer is: the top of the page. */}
            {state.join?.state === 'approved' && state.join.membership === membership.id && state.join.workspace !== null && (
              <JoinWorkspace workspace={state.join.workspace} program={membership.program} />
            )}
            <RunPanel token={token} membership={membership} setup={spec?.setup ?? null} metric={spec?.metric ?? ''} gpusPerRun={spec?.requires?.gpu_count ?? 1} fmt={fmt} />
            <div className="two-columns">
              <LiveOutput />
              <RunChart points={state.metrics} metric={spec?.metric ?? ''} fmt={fmt} />
            </div>
            {spec !== null && program !== null && (
              <>
                <section className="section" aria-label="Champion">
                  <ChampionCard
                    champion={program.champion}
                    baseline={spec.baseline ?? null}
                    spec={spec}
                    now={now}
                    record={program.mine.find((r) => r.id === program.champion?.id) ?? null}
                    fmt={fmt}
                  />
                </section>
                <Submissions results={program.mine} spec={spec} championId={program.champion?.id ?? null} fmt={fmt} />
                <WorkspacePanel dir={program.workspace.dir} diff={program.workspace.diff} />
              </>
            )}
          </>
        )}
        {joined.length > 0 && !waiting && <JoinPanel token={token} compact />}
      </main>
    </div>
  );
}
