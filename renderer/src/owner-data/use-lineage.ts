import { useEffect, useState } from 'react';
import type { LineageResponse, ResultRecord, ResultSummary } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';

export interface Fetched<T> {
  data: T | null;
  error: string | null;
}

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

/**
 * One result whole (with its `patch`, the diff against the step before it, GET
 * /api/owner/results/:id), fetched only when asked for (`enabled`: its diff is being opened), and
 * once: a result's patch never changes.
 */
export function useResultDetail(step: Pick<ResultSummary, 'id'>, enabled: boolean): Fetched<ResultRecord> {
  const token = useOwnerStore((s) => s.token);
  const [state, setState] = useState<Fetched<ResultRecord>>({ data: null, error: null });
  const { id } = step;
  const have = state.data?.id === id;

  useEffect(() => {
    if (token === null || !enabled || have) return;
    let gone = false;
    ownerApi
      .result(token, id)
      .then(({ result }) => {
        if (!gone) setState({ data: result, error: null });
      })
      .catch((err: unknown) => {
        if (!gone) setState({ data: null, error: errorMessage(err) });
      });
    return () => {
      gone = true;
    };
  }, [token, id, enabled, have]);

  return have ? state : { data: null, error: state.error };
}
