import { ResultStatus, VerificationState, type Member } from '../../../protocol/index.ts';
import type { HistoryFilter } from '../owner-data/use-history.ts';
import { HistorySearch } from './HistorySearch.tsx';

/** The verification filter's words: what a person looks for, not the wire's names. */
const VERIFICATION_TEXT: Record<VerificationState, string> = {
  pending: 'pending',
  reproduced: 'reproduced',
  not_reproduced: 'not reproduced',
  unverified: 'unverified (not re-run)',
  none: 'not a claim',
};

type Patch = Partial<HistoryFilter>;

/** The history's filters: status, member, verification, and a text search of the hypotheses. */
export function HistoryFilters({ filter, members, onChange }: { filter: HistoryFilter; members: readonly Member[]; onChange: (patch: Patch) => void }) {
  return (
    <div className="filters" role="group" aria-label="Filter the history">
      <label className="filter">
        <span className="muted small">Status</span>
        <select
          data-testid="history-status"
          value={filter.status ?? ''}
          onChange={(e) => {
            const parsed = ResultStatus.safeParse(e.target.value);
            onChange({ status: parsed.success ? parsed.data : undefined });
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
        <select data-testid="history-member" value={filter.member ?? ''} onChange={(e) => onChange({ member: e.target.value === '' ? undefined : e.target.value })}>
          <option value="">anyone</option>
          {members.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name || m.id}
            </option>
          ))}
        </select>
      </label>
      <label className="filter">
        <span className="muted small">Verification</span>
        <select
          data-testid="history-verification"
          value={filter.verification ?? ''}
          onChange={(e) => {
            const parsed = VerificationState.safeParse(e.target.value);
            onChange({ verification: parsed.success ? parsed.data : undefined });
          }}
        >
          <option value="">any</option>
          {VerificationState.options.map((v) => (
            <option key={v} value={v}>
              {VERIFICATION_TEXT[v]}
            </option>
          ))}
        </select>
      </label>
      <HistorySearch value={filter.q} onSearch={(q) => onChange({ q })} />
    </div>
  );
}
