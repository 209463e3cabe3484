import { useEffect, useState } from 'react';
import type { ResultRecord, ResultSummary } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';

export interface Fetched<T> {
  data: T | null;
  error: string | null;
}

/**
 * Whole results fetched for their patch and output (listings send summaries), by token and id,
 * least recently used first. A result's patch and output never change, so each is fetched once,
 * whoever asks (a history row, a lineage step); at most DETAIL_HELD are kept, since a patch can
 * be 512 KiB.
 */
const DETAIL_HELD = 32;
interface Entry {
  promise: Promise<ResultRecord>;
  value?: ResultRecord;
}
const held = new Map<string, Entry>();
const keyOf = (token: string, id: string) => `${token}\n${id}`;

/** The result whole if it was fetched already, without asking the host. */
function heldResult(token: string, id: string): ResultRecord | undefined {
  return held.get(keyOf(token, id))?.value;
}

/** One fetch per result: a second asker shares the first one's. A failure is not kept (asked again next time). */
function fetchResult(token: string, id: string): Promise<ResultRecord> {
  const key = keyOf(token, id);
  const known = held.get(key);
  if (known !== undefined) {
    held.delete(key);
    held.set(key, known);
    return known.promise;
  }
  const entry: Entry = {
    promise: ownerApi.result(token, id).then(
      ({ result }) => (entry.value = result),
      (err: unknown) => {
        if (held.get(key) === entry) held.delete(key);
        throw err;
      },
    ),
  };
  held.set(key, entry);
  for (const oldest of held.keys()) {
    if (held.size <= DETAIL_HELD) break;
    held.delete(oldest);
  }
  return entry.promise;
}

/**
 * One result whole (with its `patch`, the diff against its parent, and its `output`; GET
 * /api/owner/results/:id), fetched only when asked for (`enabled`: its diff or output is being
 * opened), and once per result.
 */
export function useResultDetail(step: Pick<ResultSummary, 'id'>, enabled: boolean): Fetched<ResultRecord> {
  const token = useOwnerStore((s) => s.token);
  const { id } = step;
  const known = token === null ? undefined : heldResult(token, id);
  const [state, setState] = useState<Fetched<ResultRecord> & { id: string | null }>({ id: null, data: null, error: null });

  useEffect(() => {
    if (token === null || !enabled || known !== undefined) return;
    let gone = false;
    fetchResult(token, id).then(
      (data) => {
        if (!gone) setState({ id, data, error: null });
      },
      (err: unknown) => {
        if (!gone) setState({ id, data: null, error: errorMessage(err) });
      },
    );
    return () => {
      gone = true;
    };
  }, [token, id, enabled, known]);

  if (known !== undefined) return { data: known, error: null };
  // What was fetched for another result is not this one's.
  return state.id === id ? { data: state.data, error: state.error } : { data: null, error: null };
}
