import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, ProgramManifest } from '../../protocol/index.ts';
import { ApiError, appApi, errorMessage } from './api.ts';
import { MissingToken } from './components/MissingToken.tsx';
import { OwnerView } from './components/OwnerView.tsx';
import { PublishView } from './components/PublishView.tsx';
import { RichText } from './components/RichText.tsx';
import { WorkerView } from './components/worker/WorkerView.tsx';
import { useOwnerLive, useWaitingRequests } from './owner-data/use-owner-live.ts';
import { useOwnerStore } from './store.ts';

type View = 'owner' | 'worker';
const VIEW_KEY = 'cohort.view';

function savedView(): View | null {
  try {
    const v = window.sessionStorage.getItem(VIEW_KEY);
    return v === 'owner' || v === 'worker' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Chooses the view. The listener says which it offers (`GET /api/app`): a `cohort publish` host has
 * the owner view of its program; the app's listener (`cohort app`, the desktop app) has both, and
 * publishes a program from the UI.
 */
export function App() {
  const token = useOwnerStore((s) => s.token);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<{ message: string; auth: boolean } | null>(null);
  const [view, setView] = useState<View>(savedView() ?? 'owner');
  // What the program published from this page ships; shown in the owner view until the page reloads.
  const [shipped, setShipped] = useState<ProgramManifest | null>(null);

  const load = useCallback(async () => {
    if (token === null) return;
    try {
      setInfo(await appApi.info(token));
      setError(null);
    } catch (err) {
      setError({ message: errorMessage(err), auth: err instanceof ApiError && err.isAuth });
    }
  }, [token]);

  useEffect(() => {
    void load();
  }, [load]);

  // The owner view's status stays live behind the Worker tab too, for the Owner tab's badge.
  const ownerLive = info !== null && (info.program !== null || !info.can_publish);
  useOwnerLive(token, ownerLive);
  const waiting = useWaitingRequests();

  const choose = (next: View) => {
    setView(next);
    try {
      window.sessionStorage.setItem(VIEW_KEY, next);
    } catch {
      // storage off: the choice lasts for this page
    }
  };

  if (token === null) return <MissingToken />;
  if (info === null) {
    return (
      <main className="center-screen" aria-busy={error === null}>
        {error === null ? (
          <p className="loading" role="status">
            Connecting to Cohort…
          </p>
        ) : (
          <section className="panel notice" role="alert" data-testid="load-error">
            <h1>{error.auth ? 'This page\'s token was refused' : 'Cannot reach Cohort'}</h1>
            <p>
              <RichText text={error.message} />
            </p>
            <p className="muted">
              {error.auth
                ? 'Each run of Cohort makes a new token: open the address it printed this time.'
                : 'Check that Cohort is still running in its terminal (or the desktop app is open), then retry.'}
            </p>
            <button type="button" className="btn" onClick={() => void load()}>
              Retry
            </button>
          </section>
        )}
      </main>
    );
  }

  const hasWorker = info.views.includes('worker');
  const current: View = hasWorker ? view : 'owner';
  const owner =
    info.program === null && info.can_publish ? (
      <PublishView
        token={token}
        onPublished={(manifest) => {
          setShipped(manifest);
          void load();
        }}
      />
    ) : (
      <OwnerView shipped={shipped} />
    );

  if (!hasWorker) return owner;
  return (
    <>
      <nav className="view-tabs" aria-label="Views">
        {(['owner', 'worker'] as const).map((v) => (
          <button
            key={v}
            type="button"
            className={`view-tab${current === v ? ' is-current' : ''}`}
            aria-current={current === v ? 'page' : undefined}
            data-testid={`tab-${v}`}
            onClick={() => choose(v)}
          >
            {v === 'owner' ? (info.program !== null ? `Owner · ${info.program}` : 'Owner · publish') : 'Worker'}
            {v === 'owner' && ownerLive && waiting > 0 && (
              <span className="tab-badge" data-testid="owner-tab-badge" title={`${waiting} join request${waiting === 1 ? '' : 's'} waiting for your decision`}>
                {waiting}
                <span className="visually-hidden"> join request{waiting === 1 ? '' : 's'} waiting</span>
              </span>
            )}
          </button>
        ))}
      </nav>
      {current === 'owner' ? owner : <WorkerView token={token} />}
    </>
  );
}
