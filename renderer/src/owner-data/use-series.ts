import type { ResultRecord } from '../../../protocol/index.ts';
import { useOwnerStore } from '../store.ts';

/**
 * The results the progress chart plots: today the latest window the store holds (RECENT_WINDOW);
 * GET /api/owner/series (the whole run, thinned by the host) replaces it here.
 */
export function useSeries(): readonly ResultRecord[] {
  return useOwnerStore((s) => s.recent);
}
