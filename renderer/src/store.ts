import { create } from 'zustand';
import type { ResultRecord } from '../../protocol/index.ts';
import { ApiError, errorMessage, ownerApi, type OwnerStatus } from './api.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting';

export interface LoadError {
  message: string;
  /** The host refused the token: reopening the printed URL is the fix, not retrying. */
  auth: boolean;
}

/**
 * Results the owner's view holds for the live chart (and the metric's number format): the latest
 * ones. The counts and the best results come with the status, the history is paged on its own
 * (docs/design.md, "Listings at scale"); GET /api/owner/series will replace this window.
 */
export const RECENT_WINDOW = 500;

export interface OwnerState {
  token: string | null;
  status: OwnerStatus | null;
  /** The latest RECENT_WINDOW results, newest first, fetched with `status`. */
  recent: ResultRecord[];
  /** `Date.now()` when `status` arrived; countdowns run from it (no clock skew with the host). */
  fetchedAt: number;
  /** The last refresh failed (the previous status, if any, is still shown). */
  loadError: LoadError | null;
  connection: Connection;
  setToken(token: string | null): void;
  setConnection(connection: Connection): void;
  /** Fetches `/api/owner/status` and the latest results. Calls made while one is in flight coalesce into one more fetch. */
  refresh(): Promise<void>;
}

let inFlight: Promise<void> | null = null;
let again = false;

export const useOwnerStore = create<OwnerState>()((set, get) => ({
  token: null,
  status: null,
  recent: [],
  fetchedAt: 0,
  loadError: null,
  connection: 'connecting',
  setToken: (token) => set({ token }),
  setConnection: (connection) => set({ connection }),
  refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    const run = async (): Promise<void> => {
      do {
        again = false;
        const token = get().token;
        if (token === null) return;
        try {
          const [status, latest] = await Promise.all([ownerApi.status(token), ownerApi.latest(token, RECENT_WINDOW)]);
          set({ status, recent: latest.results, fetchedAt: Date.now(), loadError: null });
        } catch (err) {
          set({ loadError: { message: errorMessage(err), auth: err instanceof ApiError && err.isAuth } });
        }
      } while (again);
    };
    inFlight = run().finally(() => {
      inFlight = null;
    });
    return inFlight;
  },
}));

let scheduled: ReturnType<typeof setTimeout> | null = null;

/** Refetches the status soon; a burst of events within `delayMs` costs one fetch. */
export function refreshSoon(delayMs = 100): void {
  if (scheduled !== null) return;
  scheduled = setTimeout(() => {
    scheduled = null;
    void useOwnerStore.getState().refresh();
  }, delayMs);
}
