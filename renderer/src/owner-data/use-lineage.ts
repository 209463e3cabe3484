import { useEffect, useState } from 'react';
import type { LineageResponse } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';
import type { Fetched } from './use-result-detail.ts';

/**
 * A result's lineage (GET /api/owner/results/:id/lineage): it, the result it started from, and so
 * on back to the original code, newest first. Fetched again when the KB changes, since a step's
 * verification can (the chain itself never does).
 */
export function useLineage(id: string | null): Fetched<LineageResponse> {
  const token = useOwnerStore((s) => s.token);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const [state, setState] = useState<Fetched<LineageResponse> & { id: string | null }>({ id: null, data: null, error: null });

  useEffect(() => {
    if (token === null || id === null) return;
    let gone = false;
    ownerApi
      .lineage(token, id)
      .then((data) => {
        if (!gone) setState({ id, data, error: null });
      })
      .catch((err: unknown) => {
        if (!gone) setState((s) => ({ id, data: s.id === id ? s.data : null, error: errorMessage(err) }));
      });
    return () => {
      gone = true;
    };
  }, [token, id, fetchedAt]);

  // What was fetched for another result is not this one's.
  return state.id === id ? { data: state.data, error: state.error } : { data: null, error: null };
}
