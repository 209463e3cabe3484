import { useEffect } from 'react';
import type { ProgramManifest } from '../../../protocol/index.ts';
import { followEvents } from '../events.ts';
import { useOwnerStore } from '../store.ts';
import { Header } from './Header.tsx';
import { JoinRequests } from './JoinRequests.tsx';
import { Leaderboard } from './Leaderboard.tsx';
import { LoadProblem } from './LoadProblem.tsx';
import { Members } from './Members.tsx';
import { MetricChart } from './MetricChart.tsx';
import { Payouts } from './Payouts.tsx';
import { ShippedFiles } from './ShippedFiles.tsx';

/**
 * The research owner's view: who wants in, who is in, what they found, and what they earn; right
 * after publishing from the UI, also what members receive (`shipped`).
 */
export function OwnerView({ token, shipped = null }: { token: string; shipped?: ProgramManifest | null }) {
  const status = useOwnerStore((s) => s.status);
  const recent = useOwnerStore((s) => s.recent);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const loadError = useOwnerStore((s) => s.loadError);

  useEffect(() => {
    void useOwnerStore.getState().refresh();
    return followEvents(token);
  }, [token]);

  useEffect(() => {
    if (status) document.title = `${status.program.spec.name} · Cohort owner`;
  }, [status]);

  if (status === null) {
    if (loadError !== null) return <LoadProblem error={loadError} stale={false} />;
    return (
      <main className="center-screen" aria-busy="true">
        <p className="loading" role="status">
          Loading the program from the Cohort host…
        </p>
      </main>
    );
  }

  return (
    <div className="app">
      <Header status={status} />
      <main className="content">
        {loadError !== null && <LoadProblem error={loadError} stale />}
        {shipped !== null && <ShippedFiles manifest={shipped} />}
        <JoinRequests status={status} fetchedAt={fetchedAt} />
        <MetricChart results={recent} spec={status.program.spec} />
        <Leaderboard status={status} recent={recent} />
        <Members status={status} />
        <Payouts status={status} />
      </main>
    </div>
  );
}
