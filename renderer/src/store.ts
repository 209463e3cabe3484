import { create } from 'zustand';
import { ApiError, errorMessage, ownerApi, type OwnerStatus } from './api.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting';

export interface LoadError {
  message: string;
  /** The host refused the token: reopening the printed URL is the fix, not retrying. */
  auth: boolean;
}

/**
 * The owner's status, kept live. It holds no results beyond the status's own: each view fetches
 * its bounded slice itself (the history its pages, the chart GET /api/owner/series), when
 * `fetchedAt` says the KB changed (docs/design.md, "Listings at scale").
 */
export interface OwnerState {
  token: string | null;
  status: OwnerStatus | null;
  /** `Date.now()` when `status` arrived; countdowns run from it (no clock skew with the host). */
  fetchedAt: number;
  /** The last refresh failed (the previous status, if any, is still shown). */
  loadError: LoadError | null;
  connection: Connection;
  setToken(token: string | null): void;
  setConnection(connection: Connection): void;
  /** Fetches `/api/owner/status`. Calls made while one is in flight coalesce into one more fetch. */
  refresh(): Promise<void>;
}

let inFlight: Promise<void> | null = null;
let again = false;

export const useOwnerStore = create<OwnerState>()((set, get) => ({
  token: null,
  status: null,
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
          const status = await ownerApi.status(token);
          set({ status, fetchedAt: Date.now(), loadError: null });
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
