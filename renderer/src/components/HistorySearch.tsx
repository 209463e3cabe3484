import { useEffect, useRef, useState } from 'react';
import { SEARCH_QUERY_MAX } from '../../../protocol/index.ts';

/** Typing pauses this long before the feed is searched: one request per pause, not per key. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * The hypothesis text search: applied once typing pauses, at once on Enter; an empty box is no
 * search. `value` is the search in force when the box appears.
 */
export function HistorySearch({ value, onSearch }: { value: string | undefined; onSearch: (q: string | undefined) => void }) {
  const [text, setText] = useState(value ?? '');
  const applied = useRef(value ?? '');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const apply = (raw: string) => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    const q = raw.trim();
    if (q === applied.current) return;
    applied.current = q;
    onSearch(q === '' ? undefined : q);
  };

  // A pending search is dropped with the component (no answer for a feed that is gone).
  useEffect(() => () => {
    if (timer.current !== null) clearTimeout(timer.current);
  }, []);

  return (
    <label className="filter filter-search">
      <span className="muted small">Hypothesis</span>
      <input
        type="search"
        data-testid="history-q"
        placeholder="text in the hypothesis"
        maxLength={SEARCH_QUERY_MAX}
        value={text}
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          if (timer.current !== null) clearTimeout(timer.current);
          timer.current = setTimeout(() => apply(next), SEARCH_DEBOUNCE_MS);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply(text);
        }}
      />
    </label>
  );
}
