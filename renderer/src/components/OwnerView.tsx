import { useEffect, useState } from 'react';
import type { ProgramManifest } from '../../../protocol/index.ts';
import { useNow } from '../hooks.ts';
import { useMetricFormat } from '../owner-data/metric-format.ts';
import { useOwnerStore } from '../store.ts';
import { ChampionCard } from './ChampionCard.tsx';
import { Header } from './Header.tsx';
import { HistoryFeed } from './HistoryFeed.tsx';
import { JoinRequests } from './JoinRequests.tsx';
import { Leaderboard } from './Leaderboard.tsx';
import { LineagePanel } from './LineagePanel.tsx';
import { LoadProblem } from './LoadProblem.tsx';
import { Members } from './Members.tsx';
import { MetricChart } from './MetricChart.tsx';
import { NoisePanel } from './NoisePanel.tsx';
import { Payouts } from './Payouts.tsx';
import { ShippedFiles } from './ShippedFiles.tsx';

/**
 * The research owner's view of a program that runs for weeks: the champion and the progress
 * chart, the ranked leaderboard, the chosen result's lineage and the paged history in the main
 * column; who wants in, who is in and how noisy runs are in a side column (one column below
 * 1100 px, styles.css). The status is kept live by App (useOwnerLive), whichever tab shows.
 */
export function OwnerView({ shipped = null }: { shipped?: ProgramManifest | null }) {
  const status = useOwnerStore((s) => s.status);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const loadError = useOwnerStore((s) => s.loadError);
  const fmt = useMetricFormat();
  const now = useNow();
  // The result whose lineage is shown; null follows the champion as it changes.
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    if (status) document.title = `${status.program.spec.name} · Cohort owner`;
  }, [status]);

  const select = (id: string) => {
    setSelected(id === status?.champion?.id ? null : id);
    // Where the lineage sits below the list (narrow windows), bring it into view.
    document.getElementById('lineage-title')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  };

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

  const { spec } = status.program;
  const champion = status.champion;
  // The champion's own record (its claim and re-runs), when it is among the best results.
  const championRecord = champion === null ? null : (status.leaderboard.find((r) => r.id === champion.id) ?? null);

  return (
    <div className="app app-owner">
      <Header status={status} fmt={fmt} />
      {loadError !== null && <LoadProblem error={loadError} stale />}
      <div className="owner-layout">
        <main className="owner-main">
          {shipped !== null && <ShippedFiles manifest={shipped} />}
          <div className="owner-top">
            <ChampionCard champion={champion} baseline={status.baseline} spec={spec} now={now} fmt={fmt} record={championRecord} />
            <MetricChart spec={spec} fmt={fmt} roster={status.members} />
          </div>
          <Leaderboard status={status} fmt={fmt} selected={selected} onSelect={select} />
          <LineagePanel status={status} fmt={fmt} selected={selected} onSelect={select} onBackToChampion={() => setSelected(null)} />
          <HistoryFeed status={status} fmt={fmt} onSelect={select} />
          <Payouts status={status} fmt={fmt} />
        </main>
        <aside className="owner-side" aria-label="Join requests, members and noise">
          <JoinRequests status={status} fetchedAt={fetchedAt} />
          <Members status={status} />
          <NoisePanel noise={status.noise} spec={spec} fmt={fmt} />
        </aside>
      </div>
    </div>
  );
}
