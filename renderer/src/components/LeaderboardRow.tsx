import type { ResultSummary } from '../../../protocol/index.ts';
import { ago, localTime, type MetricFormat } from '../format.ts';
import { Hypothesis } from './Hypothesis.tsx';
import { JudgedValue, VerificationBadge } from './VerificationBadge.tsx';

interface Props {
  rank: number;
  result: ResultSummary;
  fmt: MetricFormat;
  now: number;
  isChampion: boolean;
  selected: boolean;
  onSelect: (id: string) => void;
}

/** One ranked result: rank, value (claimed → judged) with its verification, impact, member, hypothesis, age. Selecting it shows its lineage. */
export function LeaderboardRow({ rank, result: r, fmt, now, isChampion, selected, onSelect }: Props) {
  return (
    <tr
      className={`board-row${selected ? ' is-selected' : ''}${isChampion ? ' is-champion' : ''}`}
      data-testid="board-row"
      data-id={r.id}
      data-member={r.member}
      aria-selected={selected}
      onClick={() => onSelect(r.id)}
    >
      <td className="num board-rank">
        <span className="strong">{rank}</span>
        <button type="button" className="link-btn mono small board-id" aria-label={`Show the lineage of ${r.id}`} onClick={(e) => { e.stopPropagation(); onSelect(r.id); }}>
          {r.id}
        </button>
      </td>
      <td className="num board-value">
        <span className="mono" data-testid="board-value">
          <JudgedValue value={r.value} effective={r.effective_value} fmt={fmt} />
        </span>{' '}
        <VerificationBadge state={r.verification} reruns={r.reruns} fmt={fmt} />
        {isChampion && (
          <>
            {' '}
            <span className="tag tag-champion">champion</span>
          </>
        )}
      </td>
      <td className="num mono" data-testid="board-impact">
        {fmt.impact(r.impact)}
      </td>
      <td className="board-member" title={`member ${r.member} (name declared)`}>
        {r.member_name || r.member}
      </td>
      <td className="board-hypothesis">
        <Hypothesis text={r.hypothesis} />
      </td>
      <td className="nowrap muted small" title={localTime(r.created_at)} data-testid="board-age">
        {ago(now - Date.parse(r.created_at))}
      </td>
    </tr>
  );
}
