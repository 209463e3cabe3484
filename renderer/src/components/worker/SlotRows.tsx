import type { SlotState } from '../../../../protocol/index.ts';
import { formatDuration, type MetricFormat } from '../../format.ts';
import { useNow } from '../../hooks.ts';

function doing(slot: SlotState, now: number): string {
  if (slot.state === 'setting-up') return 'setting up';
  if (slot.state === 'idle' || slot.started_at === null) return 'idle';
  const budget = slot.budget_seconds === null ? '' : ` of ${formatDuration(slot.budget_seconds * 1000)}`;
  return `run ${slot.run ?? '?'} · ${formatDuration(now - slot.started_at)}${budget}`;
}

function lastOf(slot: SlotState, metric: string, fmt: MetricFormat): string {
  if (slot.last === null) return '—';
  if (slot.last.status === 'crash' || slot.last.value === null) return `run ${slot.last.run} crashed`;
  return `run ${slot.last.run}: ${metric} ${fmt.value(slot.last.value)}`;
}

/** One row per slot while several run at once (one per GPU): its GPUs, what it does, its last result. */
export function SlotRows({ slots, metric, fmt }: { slots: SlotState[]; metric: string; fmt: MetricFormat }) {
  const now = useNow();
  if (slots.length < 2) return null;
  return (
    <div className="table-wrap">
      <table className="table small" data-testid="slots" aria-label="Runs per GPU">
        <thead>
          <tr>
            <th>slot</th>
            <th>GPUs</th>
            <th>now</th>
            <th>last</th>
          </tr>
        </thead>
        <tbody>
          {slots.map((slot) => (
            <tr key={slot.index} data-testid="slot-row" data-state={slot.state}>
              <td className="num">{slot.index}</td>
              <td className="mono">{slot.gpus === null ? 'all' : slot.gpus.join(', ')}</td>
              <td>{doing(slot, now)}</td>
              <td>{lastOf(slot, metric, fmt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">The output and the chart follow slot 0; the others&apos; output is in their run logs.</p>
    </div>
  );
}
