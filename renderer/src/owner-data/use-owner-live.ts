import { useEffect } from 'react';
import { followEvents } from '../events.ts';
import { useOwnerStore } from '../store.ts';

/**
 * Keeps the owner's status live (the KB's events) while the page offers the owner view, whichever
 * tab is showing: the Owner tab's badge counts join requests while the owner looks at the Worker
 * tab. The first fetch is the event stream's: its opening (or failing to open) fetches the status,
 * so a fetch of our own here would make every view load twice at start.
 */
export function useOwnerLive(token: string | null, enabled: boolean): void {
  useEffect(() => {
    if (token === null || !enabled) return;
    return followEvents(token);
  }, [token, enabled]);
}

/** Join requests waiting for the owner's decision, from the status the page holds. */
export function useWaitingRequests(): number {
  return useOwnerStore((s) => s.status?.requests.filter((r) => r.status === 'pending').length ?? 0);
}
