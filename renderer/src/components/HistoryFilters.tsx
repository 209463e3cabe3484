import { ResultStatus, type Member } from '../../../protocol/index.ts';
import type { HistoryFilter } from '../owner-data/use-history.ts';

/** The history's filters: a status and a member (verification and a text search join when the host filters by them). */
export function HistoryFilters({ filter, members, onChange }: { filter: HistoryFilter; members: readonly Member[]; onChange: (f: HistoryFilter) => void }) {
  return (
    <div className="filters" role="group" aria-label="Filter the history">
      <label className="filter">
        <span className="muted small">Status</span>
        <select
          data-testid="history-status"
          value={filter.status ?? ''}
          onChange={(e) => {
            const parsed = ResultStatus.safeParse(e.target.value);
            onChange({ ...filter, status: parsed.success ? parsed.data : undefined });
          }}
        >
          <option value="">any</option>
          {ResultStatus.options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="filter">
        <span className="muted small">Member</span>
        <select data-testid="history-member" value={filter.member ?? ''} onChange={(e) => onChange({ ...filter, member: e.target.value === '' ? undefined : e.target.value })}>
          <option value="">anyone</option>
          {members.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name || m.id}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
