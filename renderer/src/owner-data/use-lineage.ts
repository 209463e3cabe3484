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
 * One result whole (with its `patch`, the diff against the step before it), fetched only when
 * asked for (`enabled`: its diff is being opened). Today its page of one of GET /api/owner/results;
 * GET /api/owner/results/:id replaces that here when the host has it.
 */
export function useResultDetail(step: Pick<ResultSummary, 'id' | 'seq'>, enabled: boolean): Fetched<ResultRecord> {
  const token = useOwnerStore((s) => s.token);
  const [state, setState] = useState<Fetched<ResultRecord>>({ data: null, error: null });
  const { id, seq } = step;
  const have = state.data !== null;

  useEffect(() => {
    if (token === null || !enabled || have) return;
    let gone = false;
    ownerApi
      .resultAt(token, seq)
      .then((page) => {
        if (gone) return;
        const found = page.results.find((r) => r.id === id);
        setState(found ? { data: found, error: null } : { data: null, error: `The host did not return ${id}.` });
      })
      .catch((err: unknown) => {
        if (!gone) setState({ data: null, error: errorMessage(err) });
      });
    return () => {
      gone = true;
    };
  }, [token, id, seq, enabled, have]);

  return state;
}
