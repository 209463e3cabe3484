import type { ResultStatus, VerificationState } from '../../../protocol/index.ts';

/** Results per page of the history: a screenful or two; "Load more" fetches the next. */
export const HISTORY_PAGE = 25;

/** What the history is filtered by; `verification` and `q` (hypothesis text) make it a searched feed. */
export interface HistoryFilter {
  status?: ResultStatus;
  member?: string;
  verification?: VerificationState;
  q?: string;
}

/**
 * One string per filter: answers are matched to the filter they were asked for by it, and the feed
 * says which filter its rows are of (`data-filter`, which the scale spec waits for). Apart from the
 * hook so a spec can compute it without the UI's modules.
 */
export function filterKey(f: HistoryFilter): string {
  return JSON.stringify([f.status ?? '', f.member ?? '', f.verification ?? '', f.q ?? '']);
}
