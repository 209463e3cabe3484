import type { LoadError } from '../store.ts';
import { useOwnerStore } from '../store.ts';
import { RichText } from './RichText.tsx';

const AUTH_HINT =
  'A host makes a new owner token every time it starts. Open the owner UI address that `cohort publish` printed for the running host.';

/** The status could not be fetched: why, and what to do. Full-page before the first load, a banner after. */
export function LoadProblem({ error, stale }: { error: LoadError; stale: boolean }) {
  const refresh = useOwnerStore((s) => s.refresh);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const retry = !error.auth && (
    <button type="button" className="btn btn-small" onClick={() => void refresh()}>
      Retry now
    </button>
  );
  if (stale) {
    return (
      <div className="banner banner-error" role="alert" data-testid="load-error">
        <span>
          {error.auth ? 'The host refused the owner token. ' : 'Could not refresh: '}
          <RichText text={error.message} />{' '}
          <RichText text={error.auth ? AUTH_HINT : `Showing what was loaded at ${new Date(fetchedAt).toLocaleTimeString()}; it refreshes again on the next event or reconnect.`} />
        </span>
        {retry}
      </div>
    );
  }
  return (
    <main className="center-screen">
      <section className="panel notice" role="alert" aria-labelledby="load-problem-title" data-testid="load-error">
        <h1 id="load-problem-title">{error.auth ? 'The host refused the owner token' : 'Cannot load the program'}</h1>
        <p>
          <RichText text={error.message} />
        </p>
        <p className="muted">
          <RichText text={error.auth ? AUTH_HINT : 'Check that `cohort publish` is still running in its terminal, then retry.'} />
        </p>
        {retry}
      </section>
    </main>
  );
}
