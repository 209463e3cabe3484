import { useEffect, useRef, useState } from 'react';
import type { SeriesResponse } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import type { TimeRange } from '../chart/model.ts';
import { useOwnerStore } from '../store.ts';
import { judgedValue } from './ranking.ts';

/**
 * Points asked of the host per fetch: about one per pixel and a half of a wide chart, and about
 * 100 KB of JSON, paid again after each change to the KB (the host allows up to 2000).
 */
export const CHART_POINTS = 1000;

/**
 * The wait after the KB changed before the series is fetched again: the status is refetched at
 * most every 100 ms during a burst of events (store.ts), the series, larger, at most this often.
 */
export const SERIES_DELAY_MS = 300;

/** A series as fetched, with what the chart needs beside the points. */
export interface SeriesData {
  series: SeriesResponse;
  /** The range it was fetched for; null: the whole run. */
  zoom: TimeRange | null;
  /** The champion's value when the range starts (a zoomed range), from GET /api/owner/champions. */
  carry: number | null;
}

export interface SeriesState {
  /** The latest series fetched (kept while the next one loads, so the chart does not blink). */
  data: SeriesData | null;
  error: string | null;
}

async function fetchSeries(token: string, zoom: TimeRange | null): Promise<SeriesData> {
  const series = await ownerApi.series(token, { points: CHART_POINTS, ...zoom });
  const first = series.points[0];
  if (zoom === null || first === undefined) return { series, zoom, carry: null };
  // Every champion of the range is among the points, so the one crowned before the first point
  // is the one in force at the range's start.
  const before = await ownerApi.champions(token, 1, first.seq);
  const last = before.champions.at(-1);
  return { series, zoom, carry: last === undefined ? null : judgedValue(last) };
}

/**
 * The progress chart's data: GET /api/owner/series over `zoom` (null: the whole run), thinned by
 * the host to CHART_POINTS, never results pages. Fetched at once when the range changes, and again
 * when the KB changes (the store's `fetchedAt`), at most once per SERIES_DELAY_MS however many
 * events arrive. An answer for a range no longer asked for is dropped.
 */
export function useSeries(zoom: TimeRange | null): SeriesState {
  const token = useOwnerStore((s) => s.token);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const [state, setState] = useState<SeriesState>({ data: null, error: null });
  // Bumped, at most every SERIES_DELAY_MS, when the KB changed.
  const [changes, setChanges] = useState(0);
  const seen = useRef(fetchedAt);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (fetchedAt === seen.current || pending.current !== null) return;
    seen.current = fetchedAt;
    pending.current = setTimeout(() => {
      pending.current = null;
      setChanges((n) => n + 1);
    }, SERIES_DELAY_MS);
  }, [fetchedAt]);

  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current);
      pending.current = null;
    },
    [],
  );

  const from = zoom?.from;
  const to = zoom?.to;
  useEffect(() => {
    if (token === null) return;
    let gone = false;
    fetchSeries(token, from === undefined || to === undefined ? null : { from, to })
      .then((data) => {
        if (!gone) setState({ data, error: null });
      })
      .catch((err: unknown) => {
        if (!gone) setState((s) => ({ data: s.data, error: errorMessage(err) }));
      });
    return () => {
      gone = true;
    };
  }, [token, from, to, changes]);

  return state;
}
