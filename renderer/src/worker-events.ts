import { WorkerFeedEvent, type WorkerFeedEventType } from '../../protocol/index.ts';
import { useWorkerStore } from './worker-store.ts';

/** Every `event:` name the worker service sends (protocol/worker-api.ts). */
const EVENT_TYPES = WorkerFeedEvent.options.map((o) => o.shape.type.value) satisfies WorkerFeedEventType[];
const RETRY_MS = 3_000;

/**
 * Follows the worker's feed over SSE and applies each event to the store; on (re)connect the whole
 * state is fetched again, so nothing missed while disconnected stays missing.
 */
export function followWorker(token: string): () => void {
  const store = useWorkerStore.getState();
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const open = () => {
    retry = null;
    if (stopped) return;
    const es = new EventSource(`/api/worker/events?token=${encodeURIComponent(token)}`);
    source = es;
    es.onopen = () => {
      store.setConnection('live');
      void store.refresh();
    };
    es.onerror = () => {
      store.setConnection('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        if (!stopped && retry === null) retry = setTimeout(open, RETRY_MS);
      }
    };
    const onEvent = (e: MessageEvent<string>) => {
      let data: unknown = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        // handled below
      }
      const parsed = WorkerFeedEvent.safeParse(data);
      if (parsed.success) useWorkerStore.getState().apply(parsed.data);
      else void useWorkerStore.getState().refresh();
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
