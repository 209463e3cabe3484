import { KbEvent, type KbEventType } from '../../protocol/index.ts';
import { refreshSoon, useOwnerStore } from './store.ts';

/** Every `event:` name the host sends (protocol/events.ts). */
const EVENT_TYPES = KbEvent.options.map((o) => o.shape.type.value) satisfies KbEventType[];

const RETRY_MS = 3_000;

/**
 * Follows the owner's KB events over SSE. `EventSource` cannot set headers, so the owner API takes
 * the token as `?token=` on this one route. Any event means "something changed": the status is
 * refetched (debounced), so the UI has a single source of truth. The browser reconnects by itself
 * after a dropped stream; if it gives up (an HTTP error), we open a new one after a pause.
 * Returns a function that stops following.
 */
export function followEvents(token: string): () => void {
  const { setConnection } = useOwnerStore.getState();
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const open = () => {
    retry = null;
    if (stopped) return;
    const es = new EventSource(`/api/owner/events?token=${encodeURIComponent(token)}`);
    source = es;
    es.onopen = () => {
      setConnection('live');
      // Events may have been missed while disconnected: catch up.
      refreshSoon(0);
    };
    es.onerror = () => {
      setConnection('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        if (!stopped && retry === null) retry = setTimeout(open, RETRY_MS);
      }
      // A status fetch tells the owner why (host gone, token refused) when it fails too.
      refreshSoon(0);
    };
    const onEvent = (e: MessageEvent<string>) => {
      let data: unknown = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        // A malformed event still means something changed.
      }
      if (!KbEvent.safeParse(data).success) console.warn(`Cohort: an unexpected "${e.type}" event; refreshing anyway.`);
      refreshSoon();
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, onEvent);
  };

  open();
  return () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    source?.close();
  };
}
